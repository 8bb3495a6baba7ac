"""Duplicates, with the policy ``[dedup]`` in corpus.toml chooses (defaults first).

- ``exact = "drop" | "error"``: documents whose normalized texts are equal. ``drop``
  keeps the first by doc id and lists every other one (``dedup.dropped`` in
  manifest.json and the datasheet); ``error`` stops the build with one ``E107`` line
  per duplicate pair, all pairs in one run.
- ``near = "group" | "warn" | "drop"``: two documents sharing at least
  :data:`NEAR_THRESHOLD` of their word 5-gram shingles (Jaccard) are near-duplicates.
  ``group`` makes each cluster (connected components of near-duplicate pairs, over
  their split groups) one split group, so a cluster never spans two splits (pinned
  groups are honoured; a cluster joining groups pinned to different splits is
  ``E131``); ``warn`` keeps both (``W107``); ``drop`` keeps, in doc id order, each
  document that is not a near-duplicate of one already kept.

Dedup must see every document, so it runs in two steps: workers compute a
:class:`Fingerprint` per document (the text digest, a MinHash signature, the split
group), and the client feeds them in input order to :class:`Dedup`, which returns a
:class:`DedupPlan` (what to drop, which groups merge) before any document reaches
the model.

Near-duplicates are found with MinHash (64 permutations) and locality-sensitive
hashing (16 bands of 4), so memory per document is about a kilobyte (the signature,
16 bucket entries, the id and digest) and the work per document does not grow with
the corpus; the Jaccard figure reported is the MinHash estimate.
"""

from __future__ import annotations

import re
import zlib

import numpy as np
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..cache import Store
from ..catalogue import problem
from ..errors import Problem
from ..io import source_sha256
from ..records import Document
from . import Counts

NEAR_THRESHOLD = 0.8
SHINGLE = 5


_WORD_MIX = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial over word hashes


def shingles(text: str) -> np.ndarray:
    """Distinct 32-bit hashes of the word 5-grams. Each word is hashed once and every
    window of five is combined as a polynomial (uint64, wrapping): a third of the cost
    of hashing each 5-gram's joined text."""
    words = re.findall(r"\w+", text.lower())
    if len(words) < SHINGLE:
        return np.array([zlib.crc32(" ".join(words).encode())], dtype=np.uint64)
    h = np.fromiter(map(zlib.crc32, map(str.encode, words)), dtype=np.uint64, count=len(words))
    n = len(words) - SHINGLE + 1
    x = h[:n].copy()
    for j in range(1, SHINGLE):
        x = x * _WORD_MIX + h[j:j + n]
    return np.unique(x >> np.uint64(32))


PERMUTATIONS, BANDS = 64, 16
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20121120)  # fixed: signatures are part of what a build reports
_A = _rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64)


def signature(sh: np.ndarray) -> np.ndarray:
    """MinHash signature: per permutation, the least hash of the document's shingles."""
    x = np.asarray(sh, dtype=np.uint64)
    # (a*x + b) mod p with 32-bit x and 61-bit a: wraps in uint64, which is still a fine hash family
    hashed = (np.outer(_A, x) + _B[:, None]) % np.uint64(_PRIME)
    return hashed.min(axis=1)


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


_BAND_MIX = _rng.integers(1, 1 << 63, PERMUTATIONS // BANDS, dtype=np.uint64) | np.uint64(1)  # odd multipliers


def band_keys(sig: np.ndarray) -> np.ndarray:
    """One 64-bit key per LSH band (equal bands give equal keys; a rare collision of
    unequal bands only adds a candidate, which the Jaccard estimate then rejects)."""
    bands = sig.reshape(BANDS, PERMUTATIONS // BANDS)
    return (bands * _BAND_MIX).sum(axis=1) ^ np.arange(BANDS, dtype=np.uint64)


class _Buckets:
    """LSH buckets in 12 bytes per (band key, document): sorted runs of numpy arrays
    merged like a log-structured tree (a run merges into the one before it once that
    one is no bigger), so lookups search a few runs and inserting stays O(n log n);
    a dict entry per key would cost over 100 bytes, 16 keys per document."""

    RUN = 1 << 12  # entries gathered before they become a sorted run

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (keys, document indices), keys sorted
        self.recent: dict[int, list[int]] = {}
        self.pending = 0

    @property
    def keys(self) -> np.ndarray:
        return np.concatenate([k for k, _ in self.runs]) if self.runs else np.empty(0, dtype=np.uint64)

    def candidates(self, keys: np.ndarray) -> set[int]:
        found: set[int] = set()
        for run_keys, run_vals in self.runs:
            lo, hi = np.searchsorted(run_keys, keys, "left"), np.searchsorted(run_keys, keys, "right")
            for a, b in zip(lo.tolist(), hi.tolist()):
                if b > a:
                    found.update(run_vals[a:b].tolist())
        for key in keys.tolist():
            found.update(self.recent.get(key, ()))
        return found

    def add(self, keys: np.ndarray, index: int) -> None:
        for key in keys.tolist():
            self.recent.setdefault(key, []).append(index)
        self.pending += len(keys)
        if self.pending < self.RUN:
            return
        run_keys = np.fromiter((k for k, v in self.recent.items() for _ in v), dtype=np.uint64, count=self.pending)
        run_vals = np.fromiter((i for v in self.recent.values() for i in v), dtype=np.int32, count=self.pending)
        self.recent, self.pending = {}, 0
        while self.runs and len(self.runs[-1][0]) <= len(run_keys):
            old_keys, old_vals = self.runs.pop()
            run_keys, run_vals = np.concatenate([old_keys, run_keys]), np.concatenate([old_vals, run_vals])
        order = np.argsort(run_keys, kind="stable")
        self.runs.append((run_keys[order], run_vals[order]))


class _Signatures:
    """Signatures in blocks of one 2-D array (no per-document array object)."""

    BLOCK = 4096

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.n = 0

    def append(self, sig: np.ndarray) -> int:
        if self.n % self.BLOCK == 0:
            self.blocks.append(np.empty((self.BLOCK, PERMUTATIONS), dtype=np.uint64))
        self.blocks[-1][self.n % self.BLOCK] = sig
        self.n += 1
        return self.n - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.blocks[i // self.BLOCK][i % self.BLOCK]


def fingerprint() -> dict[str, str]:
    """What a cached signature depends on: this module's code."""
    return {"dedup": source_sha256(__file__)}


@dataclass(frozen=True)
class Fingerprint:
    """What dedup needs of one document (computed where the document is read)."""

    doc_id: str
    where: str
    text_sha256: str
    signature: bytes  # PERMUTATIONS uint64
    group: str  # the document's split group before dedup: its event, else its doc_id


def document_fingerprint(doc: Document, cache: Store | None = None) -> Fingerprint:
    """The fingerprint of a normalized document; with a ``cache`` (keyed by the text's
    sha256 and this module's code) a rebuild reads the signature instead of computing it."""
    key = cache.key(doc.text_sha256) if cache is not None else None
    sig = cache.get(key) if key is not None else None
    if sig is None:
        sig = signature(shingles(doc.text)).tobytes()
        if key is not None:
            cache.put(key, sig)
    return Fingerprint(doc.doc_id, doc.where, doc.text_sha256, bytes(sig), doc.group)


@dataclass
class DedupStats(Counts):
    near: list[dict[str, object]] = field(default_factory=list)  # {"doc_ids": [a, b], "jaccard": x}
    dropped: list[dict[str, object]] = field(default_factory=list)  # {doc_id, duplicate_of, rule, similarity}
    clusters: list[list[str]] = field(default_factory=list)  # groups merged into one split group (near="group")
    cross_split_pairs: int = 0  # near-duplicate pairs, both kept, whose documents are in different splits


@dataclass
class DedupPlan:
    """What dedup decided, for the shard tasks: documents to leave out and split
    groups to merge (group -> the cluster's group)."""

    dropped: dict[str, str] = field(default_factory=dict)  # doc_id -> rule ("exact" | "near")
    groups: dict[str, str] = field(default_factory=dict)
    paired: set[str] = field(default_factory=set)  # kept documents in a near-duplicate pair
    refused: set[str] = field(default_factory=set)  # where a record reusing an id is (E112): left out

    def for_ids(self, ids: set[str], groups: set[str]) -> "DedupPlan":
        """The part one shard needs."""
        return DedupPlan({d: r for d, r in self.dropped.items() if d in ids},
                         {g: c for g, c in self.groups.items() if g in groups}, self.paired & ids, self.refused)

    def keeps(self, doc: Document) -> bool:
        return doc.doc_id not in self.dropped and doc.where not in self.refused


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while x != root:
            self.parent[x], x = root, self.parent.get(x, x)
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class Dedup:
    """Client side of dedup: fingerprints in (input order), a :class:`DedupPlan` out.

    Memory per document: its id, the digest of its text, a 512-byte signature, 16
    bucket entries and its group (about 1 KB; benchmarks/bench_dedup.py measures it).
    Every exact copy of a text shares the first copy's signature entry."""

    name = "dedup"

    def __init__(self, exact: str = "drop", near: str = "group", pins: Mapping[str, str] | None = None):
        self.exact, self.near, self.pins = exact, near, dict(pins or {})
        self.wheres: dict[str, str] = {}  # doc_id -> where
        self.by_sha: dict[bytes, int] = {}  # text digest -> entry
        self.entry_ids: list[str] = []  # per entry: the smallest doc id with that text
        self.entry_groups: list[str] = []
        self.copies: dict[int, list[str]] = {}  # entry -> every doc id with that text (only for duplicates)
        self.signatures = _Signatures()
        self.buckets = _Buckets()
        self.pairs: list[tuple[int, int, float]] = []  # (earlier entry, later entry, estimate)
        self.problems: list[Problem] = []
        self.stats = DedupStats()
        self.refused: set[str] = set()

    def add(self, fp: Fingerprint) -> None:
        if fp.doc_id in self.wheres:
            self.refused.add(fp.where)
            self.stats.counts["dropped_duplicate_id"] += 1
            self.problems.append(problem("E112", file=fp.where, found=fp.doc_id, first=self.wheres[fp.doc_id]))
            return
        self.wheres[fp.doc_id] = fp.where
        digest = bytes.fromhex(fp.text_sha256)
        entry = self.by_sha.get(digest)
        if entry is not None:
            self.copies.setdefault(entry, [self.entry_ids[entry]]).append(fp.doc_id)
            if fp.doc_id < self.entry_ids[entry]:
                self.entry_ids[entry], self.entry_groups[entry] = fp.doc_id, fp.group
            return
        sig = np.frombuffer(fp.signature, dtype=np.uint64)
        keys = band_keys(sig)
        index = self.signatures.n
        for other in sorted(self.buckets.candidates(keys)):
            score = estimate(sig, self.signatures[other])
            if score >= NEAR_THRESHOLD:
                self.pairs.append((other, index, round(score, 3)))
        self.by_sha[digest] = index
        self.signatures.append(sig)
        self.entry_ids.append(fp.doc_id)
        self.entry_groups.append(fp.group)
        self.buckets.add(keys, index)

    def plan(self) -> DedupPlan:
        """Decide, once every fingerprint is in: problems go to :attr:`problems`."""
        plan, stats = DedupPlan(refused=self.refused), self.stats
        self._exact(plan)
        ids = self.entry_ids
        pairs = sorted((min(ids[a], ids[b]), max(ids[a], ids[b]), s) for a, b, s in self.pairs)
        stats.near = [{"doc_ids": [a, b], "jaccard": s} for a, b, s in pairs]
        stats.counts["near_duplicate_pairs"] = len(pairs)
        if self.near == "warn":
            self.problems += [problem("W107", file=self.wheres[b], other=self.wheres[a], score=s) for a, b, s in pairs]
        elif self.near == "drop":
            self._drop_near(plan, pairs)
        else:
            self._group(plan, pairs)
        plan.paired = {d for a, b, _ in pairs for d in (a, b) if d not in plan.dropped}
        stats.dropped.sort(key=lambda d: d["doc_id"])
        stats.counts["kept"] = len(self.wheres) - len(plan.dropped)
        if stats.dropped:
            exact = sum(1 for r in stats.dropped if r["rule"] == "exact")
            self.problems.append(problem("W130", dropped=len(stats.dropped), exact=exact, near=len(stats.dropped) - exact))
        return plan

    def _exact(self, plan: DedupPlan) -> None:
        for entry, copies in sorted(self.copies.items(), key=lambda kv: self.entry_ids[kv[0]]):
            first = self.entry_ids[entry]
            for other in sorted(copies):
                if other == first:
                    continue
                self.stats.counts["exact_duplicates"] += 1
                if self.exact == "error":  # refused, and the build fails: every pair is reported
                    plan.dropped[other] = "exact"
                    self.problems.append(problem("E107", file=self.wheres[other], found=self.wheres[first],
                                                 first=self.wheres[first], duplicate=self.wheres[other]))
                else:
                    plan.dropped[other] = "exact"
                    self.stats.dropped.append({"doc_id": other, "duplicate_of": first, "rule": "exact",
                                               "similarity": 1.0})

    def _drop_near(self, plan: DedupPlan, pairs: list[tuple[str, str, float]]) -> None:
        """In doc id order, a document near-duplicating one already kept is dropped."""
        earlier: dict[str, list[tuple[str, float]]] = {}
        for a, b, s in pairs:
            earlier.setdefault(b, []).append((a, s))
        for doc_id in sorted(earlier):
            kept = [(-s, a) for a, s in earlier[doc_id] if a not in plan.dropped]
            if kept:
                score, first = min(kept)
                plan.dropped[doc_id] = "near"
                self.stats.counts["near_duplicates_dropped"] += 1
                self.stats.dropped.append({"doc_id": doc_id, "duplicate_of": first, "rule": "near",
                                           "similarity": -score})

    def _group(self, plan: DedupPlan, pairs: list[tuple[str, str, float]]) -> None:
        """Connected components over split groups; each becomes one group (a pinned one if any)."""
        group = dict(zip(self.entry_ids, self.entry_groups))
        uf = _UnionFind()
        first_pair: dict[str, tuple[str, str]] = {}
        for a, b, _ in pairs:
            uf.union(group[a], group[b])
        for a, b, _ in pairs:
            first_pair.setdefault(uf.find(group[a]), (a, b))
        members: dict[str, list[str]] = {}
        for g in {group[d] for a, b, _ in pairs for d in (a, b)}:
            members.setdefault(uf.find(g), []).append(g)
        for root, gs in sorted(members.items()):
            if len(gs) == 1:  # the pair already shares a group
                continue
            gs.sort()
            pinned = [g for g in gs if g in self.pins]
            splits = {self.pins[g] for g in pinned}
            if len(splits) > 1:
                first = pinned[0]
                second = next(g for g in pinned if self.pins[g] != self.pins[first])
                self.problems.append(problem("E131", file="corpus.toml", position="[splits.pins]",
                                             first=first, first_split=self.pins[first], second=second,
                                             second_split=self.pins[second], pair=" ~ ".join(first_pair[root])))
                continue
            target = pinned[0] if pinned else gs[0]
            plan.groups.update({g: target for g in gs if g != target})
            self.stats.clusters.append(gs)
        self.stats.counts["near_duplicate_clusters"] = len(self.stats.clusters)
