"""Entity-layer metrics: hand-computed agreement, kappa and model-quality cases, the
Markdown tables' exact text, order independence and two hypothesis properties."""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpus_builder.quality.metrics import (
    ALL,
    PRF,
    Agreement,
    ModelError,
    Quality,
    Span,
    agreement,
    agreement_table,
    confusion_table,
    errors_table,
    exact_matches,
    model_quality,
    quality_table,
    relaxed_matches,
)

TEXT = "Alice met Bob in Paris and Rome at ACME Corp today."


def at(phrase: str, label: str, text: str = TEXT) -> Span:
    start = text.index(phrase)
    return (start, start + len(phrase), label)


# gold vs model on TEXT: one correct entity and one of every error kind
GOLD = [at("Alice", "PER"), at("Bob", "PER"), at("Paris", "LOC"), at("Rome", "LOC"), at("ACME Corp", "ORG")]
MODEL = [at("Alice", "PER"), at("Bob", "ORG"), at("in Paris", "LOC"), at("ACME", "PER"), at("today", "DATE")]


def model_example() -> Quality:
    return model_quality([("d1", TEXT, GOLD, MODEL)])


# --- PRF ------------------------------------------------------------------------

def test_prf_ratios_and_zero_denominators():
    s = PRF(tp=1, fp=1, fn=3)
    assert s.precision == 0.5 and s.recall == 0.25
    assert s.f1 == pytest.approx(2 * 0.5 * 0.25 / 0.75)
    assert (PRF(0, 0, 0).precision, PRF(0, 0, 0).recall, PRF(0, 0, 0).f1) == (0.0, 0.0, 0.0)
    assert PRF(0, 2, 2).f1 == 0.0


# --- matching -------------------------------------------------------------------

def test_exact_vs_relaxed_matching():
    a = [(0, 5, "PER"), (10, 20, "ORG"), (30, 40, "LOC")]
    b = [(0, 5, "PER"), (12, 20, "ORG"), (30, 40, "PER")]
    assert exact_matches(a, b) == [((0, 5, "PER"), (0, 5, "PER"))]
    # (10,20)/(12,20) overlap with equal labels: relaxed only; (30,40) labels differ: neither
    assert relaxed_matches(a, b) == [((0, 5, "PER"), (0, 5, "PER")), ((10, 20, "ORG"), (12, 20, "ORG"))]
    ag = agreement([(a, b)])
    assert ag.exact[ALL] == PRF(tp=1, fp=2, fn=2)
    assert ag.relaxed[ALL] == PRF(tp=2, fp=1, fn=1)
    assert ag.exact["ORG"] == PRF(0, 1, 1) and ag.relaxed["ORG"] == PRF(1, 0, 0)
    # touching ranges (end exclusive) do not overlap
    assert relaxed_matches([(0, 5, "X")], [(5, 9, "X")]) == []


def test_relaxed_is_one_to_one_and_greedy_by_overlap():
    long, short1, short2 = (0, 20, "PER"), (0, 8, "PER"), (10, 20, "PER")
    # the long span overlaps both short ones (8 and 10 characters) but counts once: the larger overlap
    assert relaxed_matches([long], [short1, short2]) == [(long, short2)]
    assert relaxed_matches([short1, short2], [long]) == [(short2, long)]
    ag = agreement([([long], [short1, short2])])
    assert ag.relaxed[ALL] == PRF(tp=1, fp=1, fn=0)
    assert ag.relaxed["PER"] == PRF(tp=1, fp=1, fn=0)
    # equal overlaps (5 each): a's start decides
    assert relaxed_matches([(0, 10, "X"), (10, 20, "X")], [(5, 15, "X")]) == [((0, 10, "X"), (5, 15, "X"))]
    # equal overlap and equal a start: b's start decides
    assert relaxed_matches([(5, 10, "X")], [(0, 10, "X"), (4, 12, "X")]) == [((5, 10, "X"), (0, 10, "X"))]


def test_exact_pair_preferred_among_equal_overlaps():
    # (5,10)-(0,10) also overlaps by 5 and has the smaller b start, but the exact pair wins
    # (so every exact match is also a relaxed match)
    a, b = [(5, 10, "X")], [(0, 10, "X"), (5, 10, "X")]
    assert relaxed_matches(a, b) == [((5, 10, "X"), (5, 10, "X"))]


def test_duplicates_match_once_each():
    a, b = [(0, 5, "X"), (0, 5, "X")], [(0, 5, "X")]
    assert exact_matches(a, b) == [((0, 5, "X"), (0, 5, "X"))]
    assert agreement([(a, b)]).exact[ALL] == PRF(tp=1, fp=0, fn=1)


def test_invalid_spans_are_rejected():
    for bad in [(5, 5, "X"), (6, 5, "X"), (-1, 5, "X"), (0, 5, ""), (0, 5, ALL)]:
        with pytest.raises(ValueError):
            agreement([([bad], [])])
    with pytest.raises(ValueError, match="reserved"):
        model_quality([("d", "abcdef", [(0, 3, "O")], [])])
    with pytest.raises(ValueError, match="ends after its text"):
        model_quality([("d", "abc", [(0, 4, "X")], [])])


# --- agreement ------------------------------------------------------------------

def test_per_label_scores_restrict_both_sides():
    a = [(0, 5, "PER"), (10, 15, "ORG"), (20, 25, "ORG")]
    b = [(0, 5, "PER"), (10, 15, "PER")]
    ag = agreement([(a, b)])
    assert list(ag.exact) == ["ORG", "PER", ALL]
    assert ag.exact["PER"] == PRF(tp=1, fp=1, fn=0)  # P 1/2, R 1
    assert ag.exact["PER"].f1 == pytest.approx(2 / 3)
    assert ag.exact["ORG"] == PRF(tp=0, fp=0, fn=2)
    assert (ag.exact["ORG"].precision, ag.exact["ORG"].recall, ag.exact["ORG"].f1) == (0.0, 0.0, 0.0)
    assert ag.exact[ALL] == PRF(tp=1, fp=1, fn=2)  # P 1/2, R 1/3, F1 = (1/3) / (5/6) = 0.4
    assert ag.exact[ALL].f1 == pytest.approx(0.4)
    assert (ag.matched, ag.label_disagreements) == (2, 1)


def kappa_example() -> list[tuple[list[Span], list[Span]]]:
    labels = [  # (a, b) for 10 spans with identical boundaries
        ("PER", "PER"), ("PER", "PER"), ("PER", "PER"), ("PER", "ORG"),
        ("ORG", "ORG"), ("ORG", "ORG"), ("ORG", "LOC"),
        ("LOC", "LOC"), ("LOC", "LOC"), ("LOC", "PER"),
    ]
    spans = [((10 * i, 10 * i + 5, x), (10 * i, 10 * i + 5, y)) for i, (x, y) in enumerate(labels)]
    # split over two documents: kappa pools the pairs of all documents
    return [([x for x, _ in spans[:6]], [y for _, y in spans[:6]]),
            ([x for x, _ in spans[6:]], [y for _, y in spans[6:]])]


def test_kappa_worked_example():
    # Multi-class: po = 7/10 (pairs 1,2,3,5,6,8,9 agree).
    #   a marginals PER 4, ORG 3, LOC 3; b marginals PER 4 (1,2,3,10), ORG 3 (4,5,6), LOC 3 (7,8,9)
    #   pe = (4*4 + 3*3 + 3*3) / 100 = 0.34; kappa = (0.70 - 0.34) / 0.66 = 6/11 = 0.5454...
    # Binary PER: a T at 1-4, b T at 1,2,3,10; agree at 1,2,3 (T,T) and 5-9 (F,F): po = 0.8
    #   pe = 0.4*0.4 + 0.6*0.6 = 0.52; kappa = 0.28 / 0.48 = 7/12
    # Binary ORG: a T at 5,6,7, b T at 4,5,6; agree 5,6 (T,T) and 1,2,3,8,9,10 (F,F): po = 0.8
    #   pe = 0.3*0.3 + 0.7*0.7 = 0.58; kappa = 0.22 / 0.42 = 11/21. LOC is symmetric: 11/21.
    ag = agreement(kappa_example())
    assert ag.documents == 2
    assert (ag.matched, ag.label_disagreements) == (10, 3)
    assert ag.kappa[ALL] == pytest.approx(float(Fraction(6, 11)))
    assert ag.kappa["PER"] == pytest.approx(7 / 12)
    assert ag.kappa["ORG"] == pytest.approx(11 / 21)
    assert ag.kappa["LOC"] == pytest.approx(11 / 21)
    assert ag.exact[ALL] == PRF(tp=7, fp=3, fn=3)
    assert ag.exact["PER"] == PRF(tp=3, fp=1, fn=1)


def test_kappa_degenerate_cases():
    same = [(0, 5, "PER"), (10, 15, "PER")]
    ag = agreement([(same, same)])
    # both annotators always use one label: pe == 1 and po == 1 -> 1.0
    assert ag.kappa == {"PER": 1.0, ALL: 1.0}
    # opposite single labels: pe = 0, po = 0 -> kappa 0 (defined, not degenerate)
    ag = agreement([(same, [(0, 5, "ORG"), (10, 15, "ORG")])])
    assert ag.kappa[ALL] == 0.0
    # no span pairs with identical boundaries -> undefined
    ag = agreement([([(0, 5, "PER")], [(1, 5, "PER")])])
    assert ag.kappa == {"PER": None, ALL: None}
    assert ag.matched == 0
    # nothing at all
    ag = agreement([])
    assert ag == Agreement(exact={ALL: PRF(0, 0, 0)}, relaxed={ALL: PRF(0, 0, 0)}, kappa={ALL: None},
                           matched=0, label_disagreements=0, documents=0)
    # a label only on unpaired spans: both trivially agree "not L" on every pair -> 1.0
    ag = agreement([([(0, 5, "PER"), (10, 15, "LOC")], [(0, 5, "PER")])])
    assert ag.kappa["LOC"] == 1.0


def test_documents_are_kept_apart():
    ag = agreement([([(0, 5, "PER")], []), ([], [(0, 5, "PER")])])
    assert ag.documents == 2
    assert ag.exact[ALL] == PRF(tp=0, fp=1, fn=1)
    assert ag.relaxed[ALL] == PRF(tp=0, fp=1, fn=1)
    assert ag.matched == 0 and ag.kappa[ALL] is None
    q = model_quality([("d1", "Alice", [(0, 5, "PER")], []), ("d2", "Alice", [], [(0, 5, "PER")])])
    assert q.scores[ALL] == PRF(tp=0, fp=1, fn=1)
    assert [(e.doc_id, e.kind) for e in q.errors] == [("d1", "false_negative"), ("d2", "false_positive")]


# --- model quality --------------------------------------------------------------

def test_every_model_error_kind():
    q = model_example()
    assert q.documents == 1
    assert q.errors == (
        ModelError("d1", "wrong_label", 10, 13, "Bob", "ORG", "PER", 10, 13),
        ModelError("d1", "wrong_span", 14, 22, "in Paris", "LOC", "LOC", 17, 22),
        ModelError("d1", "false_negative", 27, 31, "Rome", None, "LOC", 27, 31),
        ModelError("d1", "wrong_span_and_label", 35, 39, "ACME", "PER", "ORG", 35, 44),
        ModelError("d1", "false_positive", 45, 50, "today", "DATE", None, None, None),
    )


def test_model_scores_exact_span_and_label():
    q = model_example()
    assert q.scores == {
        "DATE": PRF(0, 1, 0), "LOC": PRF(0, 1, 2), "ORG": PRF(0, 1, 1), "PER": PRF(1, 1, 1), ALL: PRF(1, 4, 4),
    }
    # every model span that is not an exact match is exactly one error, plus unpaired gold
    fn_only = sum(e.kind == "false_negative" for e in q.errors)
    assert len(q.errors) == q.scores[ALL].fp + fn_only


def test_confusion_counts_with_o_row_and_column():
    q = model_example()
    assert q.confusion == {
        ("PER", "PER"): 1,  # Alice
        ("PER", "ORG"): 1,  # Bob, same span
        ("LOC", "LOC"): 1,  # Paris / "in Paris", overlapping
        ("ORG", "PER"): 1,  # ACME Corp / ACME
        ("LOC", "O"): 1,  # Rome missed
        ("O", "DATE"): 1,  # today invented
    }


def test_leftover_model_span_overlapping_a_paired_gold_is_a_false_positive():
    text = "x" * 30
    q = model_quality([("d", text, [(0, 20, "ORG")], [(0, 8, "ORG"), (10, 20, "ORG")])])
    assert [(e.kind, e.start, e.end) for e in q.errors] == [("false_positive", 0, 8), ("wrong_span", 10, 20)]
    assert q.confusion == {("O", "ORG"): 1, ("ORG", "ORG"): 1}
    # exact-span pairs are taken before overlapping ones, whatever the overlap sizes
    q = model_quality([("d", text, [(0, 10, "PER"), (0, 20, "ORG")], [(0, 20, "PER")])])
    assert [e.kind for e in q.errors] == ["false_negative", "wrong_label"]
    assert q.confusion == {("ORG", "PER"): 1, ("PER", "O"): 1}


# --- Markdown -------------------------------------------------------------------

def test_agreement_table_golden():
    a = [(0, 5, "PER"), (10, 20, "ORG"), (30, 35, "LOC")]
    b = [(0, 5, "PER"), (12, 20, "ORG"), (30, 35, "PER")]
    # boundary pairs: (0,5) PER/PER and (30,35) LOC/PER -> po 1/2, pe 1/2, kappa 0 (also for PER
    # and LOC binary); ORG is on no pair -> trivially 1.0
    assert agreement_table(agreement([(a, b)])) == (
        "| label | exact P | exact R | exact F1 | relaxed F1 | kappa | n (a/b) |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        "| LOC | 0.000 | 0.000 | 0.000 | 0.000 | 0.000 | 1/0 |\n"
        "| ORG | 0.000 | 0.000 | 0.000 | 1.000 | 1.000 | 1/1 |\n"
        "| PER | 0.500 | 1.000 | 0.667 | 0.667 | 0.000 | 1/2 |\n"
        "| **all** | 0.333 | 0.333 | 0.333 | 0.667 | 0.000 | 3/3 |"
    )
    assert agreement_table(agreement([([(0, 5, "PER")], [(1, 5, "PER")])])) == (
        "| label | exact P | exact R | exact F1 | relaxed F1 | kappa | n (a/b) |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        "| PER | 0.000 | 0.000 | 0.000 | 1.000 | n/a | 1/1 |\n"
        "| **all** | 0.000 | 0.000 | 0.000 | 1.000 | n/a | 1/1 |"
    )


def test_quality_and_confusion_tables_golden():
    q = model_example()
    assert quality_table(q) == (
        "| label | P | R | F1 | gold | model |\n"
        "|---|---:|---:|---:|---:|---:|\n"
        "| DATE | 0.000 | 0.000 | 0.000 | 0 | 1 |\n"
        "| LOC | 0.000 | 0.000 | 0.000 | 2 | 1 |\n"
        "| ORG | 0.000 | 0.000 | 0.000 | 1 | 1 |\n"
        "| PER | 0.500 | 0.500 | 0.500 | 2 | 2 |\n"
        "| **all** | 0.200 | 0.200 | 0.200 | 5 | 5 |"
    )
    assert confusion_table(q) == (
        "| gold / model | DATE | LOC | ORG | PER | O |\n"
        "|---|---:|---:|---:|---:|---:|\n"
        "| LOC |  | 1 |  |  | 1 |\n"
        "| ORG |  |  |  | 1 |  |\n"
        "| PER |  |  | 1 | 1 |  |\n"
        "| O | 1 |  |  |  |  |"
    )


def test_errors_table_golden_and_limit():
    q = model_example()
    header = "| doc | kind | span | text | model | gold |\n|---|---|---|---|---|---|\n"
    rows = [
        "| d1 | wrong_label | 10-13 | Bob | ORG | PER |",
        "| d1 | wrong_span | 14-22 | in Paris | LOC | LOC (17-22) |",
        "| d1 | false_negative | 27-31 | Rome |  | LOC |",
        "| d1 | wrong_span_and_label | 35-39 | ACME | PER | ORG (35-44) |",
        "| d1 | false_positive | 45-50 | today | DATE |  |",
    ]
    assert errors_table(q) == header + "\n".join(rows)
    assert errors_table(q, limit=5) == header + "\n".join(rows)
    assert errors_table(q, limit=2) == header + "\n".join(rows[:2]) + "\n\n… and 3 more"
    assert errors_table(q, limit=0) == header.rstrip("\n") + "\n\n… and 5 more"
    with pytest.raises(ValueError):
        errors_table(q, limit=-1)


def test_tables_escape_pipes_and_line_breaks():
    text = "a|b\nc d"
    q = model_quality([("doc|1", text, [], [(0, 7, "X")])])
    assert errors_table(q).splitlines()[-1] == "| doc\\|1 | false_positive | 0-7 | a\\|b c d | X |  |"


def test_tables_have_no_trailing_spaces_or_newline():
    q = model_example()
    for table in (agreement_table(agreement(kappa_example())), quality_table(q), confusion_table(q),
                  errors_table(q, limit=1)):
        assert not table.endswith("\n")
        assert all(line == line.rstrip() for line in table.splitlines())


# --- determinism ----------------------------------------------------------------

def shuffled(items: list, rng: random.Random) -> list:
    items = list(items)
    rng.shuffle(items)
    return items


def test_shuffled_input_gives_identical_results():
    text2 = "Rome and Paris and Rome and ACME."
    docs = [
        ("d1", TEXT, GOLD, MODEL),
        ("d2", text2, [(0, 4, "LOC"), (9, 14, "LOC"), (28, 32, "ORG"), (28, 32, "ORG")],
         [(0, 8, "LOC"), (0, 4, "PER"), (9, 14, "LOC"), (19, 23, "LOC"), (28, 33, "ORG")]),
    ]
    pairs = [(g, m) for _, _, g, m in docs] + kappa_example()
    q0, ag0 = model_quality(docs), agreement(pairs)
    rng = random.Random(7)
    for _ in range(25):
        q = model_quality(shuffled([(d, t, shuffled(g, rng), shuffled(m, rng)) for d, t, g, m in docs], rng))
        ag = agreement(shuffled([(shuffled(a, rng), shuffled(b, rng)) for a, b in pairs], rng))
        assert q == q0 and ag == ag0
        assert (quality_table(q), confusion_table(q), errors_table(q)) == (
            quality_table(q0), confusion_table(q0), errors_table(q0))
        assert agreement_table(ag) == agreement_table(ag0)
        for a, b in pairs:
            assert relaxed_matches(shuffled(a, rng), shuffled(b, rng)) == relaxed_matches(a, b)


# --- properties -----------------------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LABELS = st.sampled_from(["PER", "ORG", "LOC"])


@st.composite
def layer(draw) -> list[Span]:
    """Non-overlapping spans: consecutive pairs of distinct sorted boundaries."""
    points = sorted(draw(st.lists(st.integers(0, 200), unique=True, max_size=24)))
    return [(s, e, draw(LABELS)) for s, e in zip(points[::2], points[1::2])]


SPAN = st.tuples(st.integers(0, 60), st.integers(1, 15), LABELS).map(lambda t: (t[0], t[0] + t[1], t[2]))


@SETTINGS
@given(st.lists(layer(), max_size=4))
def test_self_agreement_is_perfect(docs):
    ag = agreement([(a, a) for a in docs])
    spans = sum(len(a) for a in docs)
    for table in (ag.exact, ag.relaxed):
        assert all(s.f1 == (1.0 if s.tp else 0.0) and s.fp == s.fn == 0 for s in table.values())
        assert table[ALL].f1 == (1.0 if spans else 0.0)
    assert ag.kappa[ALL] == (1.0 if spans else None)
    assert all(k == (1.0 if spans else None) for k in ag.kappa.values())
    assert (ag.matched, ag.label_disagreements) == (spans, 0)


@SETTINGS
@given(st.lists(st.tuples(st.lists(SPAN, max_size=8), st.lists(SPAN, max_size=8)), max_size=4))
def test_exact_never_exceeds_relaxed(pairs):
    # arbitrary layers, overlapping and duplicate spans included
    ag = agreement(pairs)
    assert ag.exact.keys() == ag.relaxed.keys()
    for key, e in ag.exact.items():
        r = ag.relaxed[key]
        assert e.tp <= r.tp and e.tp + e.fp == r.tp + r.fp and e.tp + e.fn == r.tp + r.fn
        assert e.f1 <= r.f1 + 1e-12
    for a, b in pairs:
        assert set(exact_matches(a, b)) <= set(relaxed_matches(a, b))
