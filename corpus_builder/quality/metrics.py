"""Entity-layer comparison: agreement between two annotators and a model's quality
against the gold layer, plus the Markdown tables the dataset card and datasheet quote.

Entities are plain ``(start, end, label)`` tuples (end exclusive). Input is per
document and counts are summed over documents (micro-averaged), so spans from
different documents never match. Every result is independent of the order of the
input (spans are sorted before any greedy step and ties are broken on the span
values), because the figures are published and must be reproducible.

Matching rules, shared by every function here:

* exact: equal start, end and label; one-to-one (duplicates match at most once each).
* relaxed: one-to-one pairs whose ranges overlap and whose labels are equal, chosen
  greedily by largest overlap, then a's start, then b's start. Among pairs of equal
  overlap an exact pair is preferred: an exact pair already has the largest overlap
  either of its spans can reach, and preferring it guarantees that every exact match
  is also a relaxed match (so exact F1 <= relaxed F1 always holds).
* boundary pairs (kappa, confusion): one-to-one pairs with equal start and end and
  any labels; within one range, equal labels are paired first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..escape import md_table_text

Span = tuple[int, int, str]
ALL = "ALL"  # key of the overall row
OUTSIDE = "O"  # "no entity" in the confusion matrix

FALSE_POSITIVE = "false_positive"
FALSE_NEGATIVE = "false_negative"
WRONG_LABEL = "wrong_label"
WRONG_SPAN = "wrong_span"
WRONG_SPAN_AND_LABEL = "wrong_span_and_label"


@dataclass(frozen=True)
class PRF:
    """Counts rather than ratios are stored so rows can be summed over documents."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Agreement:
    """Two annotators' entity layers compared; ``a`` plays gold, ``b`` prediction
    (F1 is symmetric, P and R swap)."""

    exact: dict[str, PRF]
    relaxed: dict[str, PRF]
    # Cohen's kappa on the labels of boundary pairs; None when undefined (no pairs)
    kappa: dict[str, float | None]
    matched: int  # boundary pairs (identical start/end, any label)
    label_disagreements: int  # boundary pairs whose labels differ
    documents: int


@dataclass(frozen=True)
class ModelError:
    """One model mistake, located so a reviewer can find and judge it.

    ``start``/``end``/``text`` are the model span (the gold span for a false
    negative); ``gold_start``/``gold_end`` are set whenever a gold entity is
    involved (every kind except false_positive).
    """

    doc_id: str
    kind: str
    start: int
    end: int
    text: str
    predicted: str | None
    gold: str | None
    gold_start: int | None = None
    gold_end: int | None = None


@dataclass(frozen=True)
class Quality:
    """A model's entities against gold: exact scores, confusion and every error.

    Each model span that is not an exact match yields exactly one error
    (false_positive or wrong_*), and each gold span left unpaired yields one
    false_negative, so the errors and the confusion matrix describe the same pairing.
    """

    scores: dict[str, PRF]
    confusion: dict[tuple[str, str], int]
    errors: tuple[ModelError, ...]
    documents: int


# --- matching -------------------------------------------------------------------

def _spans(spans: Sequence[Span], *, reserved: tuple[str, ...] = (ALL,)) -> list[Span]:
    """Validated, sorted copy: sorting first is what makes the greedy steps
    independent of input order."""
    out: list[Span] = []
    for span in spans:
        start, end, label = span
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
            raise ValueError(f"invalid span {span!r}: need integers 0 <= start < end")
        if not isinstance(label, str) or not label or label in reserved:
            raise ValueError(f"invalid label in span {span!r}: {', '.join(reserved)} and '' are reserved")
        out.append((start, end, label))
    return sorted(out)


def _overlap(x: Span, y: Span) -> int:
    return min(x[1], y[1]) - max(x[0], y[0])


def _exact(a: list[Span], b: list[Span]) -> list[tuple[Span, Span]]:
    available = Counter(b)
    pairs = []
    for span in a:
        if available[span]:
            available[span] -= 1
            pairs.append((span, span))
    return pairs


def _greedy(a: list[Span], b: list[Span], *, same_label: bool) -> list[tuple[int, int]]:
    """Index pairs of the one-to-one greedy overlap matching of sorted ``a`` and ``b``."""
    candidates = []
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            if y[0] >= x[1]:
                break  # b is sorted by start: no later span overlaps x
            if y[1] > x[0] and (not same_label or x[2] == y[2]):
                candidates.append((-_overlap(x, y), x != y, x[0], y[0], x[1], y[1], x[2], y[2], i, j))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for *_, i, j in sorted(candidates):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            pairs.append((i, j))
    return pairs


def _boundary_pairs(a: list[Span], b: list[Span]) -> tuple[list[tuple[Span, Span]], list[Span], list[Span]]:
    """Pairs with identical (start, end), any labels; plus the unpaired rest of a and b."""
    by_range_a: dict[tuple[int, int], list[str]] = defaultdict(list)
    by_range_b: dict[tuple[int, int], list[str]] = defaultdict(list)
    for s, e, label in a:
        by_range_a[(s, e)].append(label)
    for s, e, label in b:
        by_range_b[(s, e)].append(label)
    pairs: list[tuple[Span, Span]] = []
    rest_a: list[Span] = []
    rest_b: list[Span] = []
    for rng in sorted(by_range_a.keys() | by_range_b.keys()):
        la, lb = Counter(by_range_a.get(rng, [])), Counter(by_range_b.get(rng, []))
        same = la & lb
        pairs += [((*rng, label), (*rng, label)) for label in sorted(same.elements())]
        left_a, left_b = sorted((la - same).elements()), sorted((lb - same).elements())
        k = min(len(left_a), len(left_b))
        pairs += [((*rng, x), (*rng, y)) for x, y in zip(left_a[:k], left_b[:k])]
        rest_a += [(*rng, x) for x in left_a[k:]]
        rest_b += [(*rng, y) for y in left_b[k:]]
    return pairs, sorted(rest_a), sorted(rest_b)


def exact_matches(a: Sequence[Span], b: Sequence[Span]) -> list[tuple[Span, Span]]:
    """One-to-one pairs of spans equal in start, end and label, sorted."""
    return _exact(_spans(a), _spans(b))


def relaxed_matches(a: Sequence[Span], b: Sequence[Span]) -> list[tuple[Span, Span]]:
    """One-to-one pairs of overlapping spans with equal labels (greedy, see module
    docstring), sorted."""
    sa, sb = _spans(a), _spans(b)
    return sorted((sa[i], sb[j]) for i, j in _greedy(sa, sb, same_label=True))


def boundary_matches(a: Sequence[Span], b: Sequence[Span]) -> list[tuple[Span, Span]]:
    """One-to-one pairs of spans with equal start and end, any labels (equal labels
    paired first), sorted."""
    return sorted(_boundary_pairs(_spans(a), _spans(b))[0])


def partial_matches(a: Sequence[Span], b: Sequence[Span]) -> tuple[list[tuple[Span, Span]], list[tuple[Span, Span]]]:
    """The SemEval'13 partial pairing, labels ignored: pairs with equal boundaries,
    then one-to-one overlapping pairs of the rest (greedy, see module docstring)."""
    same, rest_a, rest_b = _boundary_pairs(_spans(a), _spans(b))
    overlapping = sorted((rest_a[i], rest_b[j]) for i, j in _greedy(rest_a, rest_b, same_label=False))
    return sorted(same), overlapping


# --- agreement ------------------------------------------------------------------

def _kappa(pairs: Sequence[tuple[object, object]]) -> float | None:
    """Cohen's kappa; exact fractions so the pe == 1 test is not a float accident."""
    n = len(pairs)
    if not n:
        return None
    po = Fraction(sum(x == y for x, y in pairs), n)
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    pe = Fraction(sum(ca[k] * cb[k] for k in ca), n * n)
    if pe == 1:
        return 1.0 if po == 1 else None
    return float((po - pe) / (1 - pe))


def _prf_table(counts: dict[str, list[int]]) -> dict[str, PRF]:
    labels = sorted(k for k in counts if k != ALL)
    return {k: PRF(*counts[k]) for k in [*labels, ALL]}


def _add_counts(counts: dict[str, list[int]], gold: list[Span], pred: list[Span], tp_spans: list[Span]) -> None:
    """Add tp/fp/fn per label; ``tp_spans`` are the gold sides of the matches."""
    g, p, t = Counter(s[2] for s in gold), Counter(s[2] for s in pred), Counter(s[2] for s in tp_spans)
    for label in g.keys() | p.keys():
        row = counts[label]
        row[0] += t[label]
        row[1] += p[label] - t[label]
        row[2] += g[label] - t[label]
    total = counts[ALL]
    total[0] += len(tp_spans)
    total[1] += len(pred) - len(tp_spans)
    total[2] += len(gold) - len(tp_spans)


def agreement(pairs: Iterable[tuple[Sequence[Span], Sequence[Span]]]) -> Agreement:
    """Agreement of two annotators' layers, one ``(a, b)`` item per document.

    Per-label rows restrict both sides to that label (labels = union of both sides).
    Kappa: ALL is multi-class over the labels of boundary pairs; a label's kappa is
    binary (label_a == L, label_b == L) over the same pairs. A label that never
    occurs among the boundary pairs gets 1.0 (both annotators trivially agree that
    none of the pairs is L, pe == po == 1); no boundary pairs at all gives None.
    """
    exact: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    relaxed: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    exact[ALL], relaxed[ALL] = [0, 0, 0], [0, 0, 0]
    label_pairs: list[tuple[str, str]] = []
    documents = 0
    for doc_a, doc_b in pairs:
        documents += 1
        a, b = _spans(doc_a), _spans(doc_b)
        _add_counts(exact, a, b, [x for x, _ in _exact(a, b)])
        _add_counts(relaxed, a, b, [a[i] for i, _ in _greedy(a, b, same_label=True)])
        label_pairs += [(x[2], y[2]) for x, y in _boundary_pairs(a, b)[0]]
    labels = sorted(k for k in exact if k != ALL)
    kappa: dict[str, float | None] = {
        label: _kappa([(x == label, y == label) for x, y in label_pairs]) for label in labels
    }
    kappa[ALL] = _kappa(label_pairs)
    return Agreement(
        exact=_prf_table(exact),
        relaxed=_prf_table(relaxed),
        kappa=kappa,
        matched=len(label_pairs),
        label_disagreements=sum(x != y for x, y in label_pairs),
        documents=documents,
    )


# --- model quality --------------------------------------------------------------

def _error(doc_id: str, text: str, kind: str, model: Span | None, gold: Span | None) -> ModelError:
    where = model if model is not None else gold
    assert where is not None
    return ModelError(
        doc_id=doc_id, kind=kind, start=where[0], end=where[1], text=text[where[0]:where[1]],
        predicted=model[2] if model else None, gold=gold[2] if gold else None,
        gold_start=gold[0] if gold else None, gold_end=gold[1] if gold else None,
    )


def model_quality(docs: Iterable[tuple[str, str, Sequence[Span], Sequence[Span]]]) -> Quality:
    """A model's entities against gold, one ``(doc_id, text, gold, model)`` item per
    document.

    Pairing for confusion and errors: boundary pairs first (wrong_label when the
    labels differ), then the remaining overlapping pairs greedily ignoring labels
    (wrong_span / wrong_span_and_label), then leftovers: gold -> false_negative,
    model -> false_positive. A leftover model span may still overlap a gold entity
    that was paired with a better-overlapping model span; it is a false positive
    then too (an extra span), so that each gold entity is accounted for once.
    The labels "O" and "ALL" are reserved.
    """
    scores: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    scores[ALL] = [0, 0, 0]
    confusion: Counter[tuple[str, str]] = Counter()
    errors: list[ModelError] = []
    documents = 0
    for doc_id, text, doc_gold, doc_model in docs:
        documents += 1
        gold = _spans(doc_gold, reserved=(ALL, OUTSIDE))
        model = _spans(doc_model, reserved=(ALL, OUTSIDE))
        for s in (*gold, *model):
            if s[1] > len(text):
                raise ValueError(f"span {s!r} of document {doc_id!r} ends after its text ({len(text)} characters)")
        _add_counts(scores, gold, model, [g for g, _ in _exact(gold, model)])

        same_range, rest_gold, rest_model = _boundary_pairs(gold, model)
        for g, m in same_range:
            confusion[(g[2], m[2])] += 1
            if g[2] != m[2]:
                errors.append(_error(doc_id, text, WRONG_LABEL, m, g))
        overlapping = _greedy(rest_gold, rest_model, same_label=False)
        for i, j in overlapping:
            g, m = rest_gold[i], rest_model[j]
            confusion[(g[2], m[2])] += 1
            errors.append(_error(doc_id, text, WRONG_SPAN if g[2] == m[2] else WRONG_SPAN_AND_LABEL, m, g))
        paired_gold, paired_model = {i for i, _ in overlapping}, {j for _, j in overlapping}
        for i, g in enumerate(rest_gold):
            if i not in paired_gold:
                confusion[(g[2], OUTSIDE)] += 1
                errors.append(_error(doc_id, text, FALSE_NEGATIVE, None, g))
        for j, m in enumerate(rest_model):
            if j not in paired_model:
                confusion[(OUTSIDE, m[2])] += 1
                errors.append(_error(doc_id, text, FALSE_POSITIVE, m, None))

    def order(e: ModelError) -> tuple:
        return (e.doc_id, e.start, e.end, e.kind, e.predicted or "", e.gold or "",
                e.gold_start if e.gold_start is not None else -1, e.gold_end if e.gold_end is not None else -1)

    return Quality(
        scores=_prf_table(scores),
        confusion=dict(sorted(confusion.items())),
        errors=tuple(sorted(errors, key=order)),
        documents=documents,
    )


# --- Markdown -------------------------------------------------------------------
# Tables are quoted verbatim in the dataset card and datasheet: GitHub Markdown,
# numbers to 3 decimals, no trailing spaces, no trailing newline.

def _cell(value: object) -> str:
    """A table cell: one line, Markdown and HTML metacharacters (pipes included) escaped,
    so no text from a document can break the row or become markup (escape.py)."""
    return md_table_text(value)


def _row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def markdown_table(header: Sequence[str], align: str, rows: Iterable[Sequence[object]]) -> str:
    """``align``: one character per column, "l" (left) or "r" (right, for numbers)."""
    rule = "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"
    return "\n".join([_row(header), rule, *(_row(r) for r in rows)])


def figure(x: float) -> str:
    """A figure as every table shows it: three decimals."""
    return f"{x:.3f}"


def _label(key: str) -> str:
    return "**all**" if key == ALL else key


def agreement_table(ag: Agreement) -> str:
    """One row per label, then the overall row; ``n (a/b)`` = spans of that label in
    a and b."""
    rows = []
    for key, e in ag.exact.items():
        k = ag.kappa.get(key)
        rows.append([_label(key), figure(e.precision), figure(e.recall), figure(e.f1), figure(ag.relaxed[key].f1),
                     "n/a" if k is None else figure(k), f"{e.tp + e.fn}/{e.tp + e.fp}"])
    header = ["label", "exact P", "exact R", "exact F1", "relaxed F1", "kappa", "n (a/b)"]
    return markdown_table(header, "lrrrrrr", rows)


def quality_table(q: Quality) -> str:
    """Exact-match scores per label, then overall, with gold and model support."""
    rows = [[_label(key), figure(s.precision), figure(s.recall), figure(s.f1), s.tp + s.fn, s.tp + s.fp]
            for key, s in q.scores.items()]
    return markdown_table(["label", "P", "R", "F1", "gold", "model"], "lrrrrr", rows)


def confusion_table(q: Quality) -> str:
    """Rows = gold label, columns = predicted label, ``O`` = no entity; only labels
    that occur. Zero cells (and the always-zero ``O``/``O`` cell) are left empty so
    the mistakes stand out."""
    used = {k: v for k, v in q.confusion.items() if v}
    gold = sorted({g for g, _ in used} - {OUTSIDE}) + ([OUTSIDE] if any(g == OUTSIDE for g, _ in used) else [])
    pred = sorted({p for _, p in used} - {OUTSIDE}) + ([OUTSIDE] if any(p == OUTSIDE for _, p in used) else [])
    rows = [[g, *(used.get((g, p), "") for p in pred)] for g in gold]
    return markdown_table(["gold / model", *pred], "l" + "r" * len(pred), rows)


def _span(start: int | None, end: int | None) -> str:
    return f"{start}-{end}"


def errors_table(q: Quality, limit: int | None = None) -> str:
    """Errors in their sorted order; ``span`` is the model span (gold for a false
    negative) and the gold cell adds the gold span when it differs. When ``limit``
    cuts rows, a blank line and ``… and N more`` follow (the blank line keeps the
    note out of the table in GitHub Markdown)."""
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0")
    shown = q.errors if limit is None else q.errors[:limit]
    rows = []
    for e in shown:
        gold = e.gold or ""
        if e.gold is not None and (e.gold_start, e.gold_end) != (e.start, e.end):
            gold += f" ({_span(e.gold_start, e.gold_end)})"
        rows.append([e.doc_id, e.kind, _span(e.start, e.end), e.text, e.predicted or "", gold])
    table = markdown_table(["doc", "kind", "span", "text", "model", "gold"], "llllll", rows)
    hidden = len(q.errors) - len(shown)
    return f"{table}\n\n… and {hidden} more" if hidden else table
