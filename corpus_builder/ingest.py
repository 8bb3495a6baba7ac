"""Ingest: a folder of raw ``.txt`` articles -> :class:`Document` records.

Document id rule: the file name without ``.txt`` (``000_609d6079c7c3312f.txt`` ->
``000_609d6079c7c3312f``). Ids must match :data:`DOC_ID_PATTERN` so that they are
safe as file names, URLs and overlay keys. Files are read in sorted order and
decoded strictly as UTF-8; the raw bytes' sha256 is the document's provenance.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .document import Document
from .errors import CorpusError, ExitCode, Problem, rel

DOC_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def looks_binary(data: bytes) -> bool:
    """NUL or other C0 control bytes (not tab, newline, form feed, carriage return)
    in more than 5% of the first 64 KiB: not text, whatever its decoding. A few
    stray control characters in an article are removed by normalization instead."""
    sample = data[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(4, len(sample) // 20)


def decode(path: Path, data: bytes) -> str:
    """Strict UTF-8, with the line/column of the first bad byte in the error."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise CorpusError(Problem(
            "E101", "file is not valid UTF-8", file=rel(path),
            position=f"line {line}, column {column} (byte {exc.start})",
            found=repr(data[exc.start:exc.start + 4]), expected="UTF-8 text",
            hint="re-encode it, e.g. `iconv -f latin1 -t utf-8`, or remove it from the seeds folder")) from None


class Ingest:
    """Stage: list and read the seed files; a bad file becomes a problem (all of them
    are reported in one run) and is left out. Counts files read and refused, by reason."""

    name = "ingest"

    def __init__(self, seeds: Path):
        self.seeds = Path(seeds)
        self.counts: Counter[str] = Counter()
        self.problems: list[Problem] = []

    def files(self) -> list[Path]:
        if not self.seeds.is_dir():
            raise CorpusError(Problem("E100", "seeds folder not found", file=rel(self.seeds),
                                      hint="pass --seeds DIR with the raw article files"), ExitCode.USAGE)
        entries = sorted(p for p in self.seeds.iterdir() if not p.name.startswith("."))
        files = [p for p in entries if p.suffix == ".txt"]
        self.counts["skipped_not_txt"] += len(entries) - len(files)
        if not files:
            raise CorpusError(Problem("E100", "no .txt files in the seeds folder", file=rel(self.seeds),
                                      hint="add raw articles as UTF-8 .txt files"), ExitCode.USAGE)
        return files

    def read(self, path: Path) -> Document:
        doc_id = path.stem
        if not DOC_ID_PATTERN.match(doc_id):
            raise CorpusError(Problem(
                "E104", "file name is not a valid document id", file=rel(path), found=doc_id,
                expected=DOC_ID_PATTERN.pattern, hint="rename the file using letters, digits, '_', '-', '.'"))
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(self.seeds.resolve()):
                raise CorpusError(Problem(
                    "E108", "symlink points outside the seeds folder", file=rel(path), found=str(target),
                    hint="copy the article into the seeds folder instead of linking to it"))
        if path.is_dir():
            raise CorpusError(Problem("E109", "is a folder, not a file", file=rel(path),
                                      hint="rename it or move it out of the seeds folder"))
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CorpusError(Problem("E109", f"cannot read file: {exc.strerror or exc}", file=rel(path),
                                      hint="check that it exists and is readable (e.g. `chmod a+r`)")) from None
        if not data:
            raise CorpusError(Problem("E102", "file is empty", file=rel(path),
                                      hint="remove it or put the article text in it"))
        if looks_binary(data):
            raise CorpusError(Problem("E105", "file holds binary data, not text", file=rel(path),
                                      position=f"byte {next(i for i, b in enumerate(data) if b < 32 and b not in (9, 10, 12, 13))}",
                                      hint="remove it from the seeds folder, or convert it to plain UTF-8 text"))
        return Document(
            doc_id=doc_id,
            source_file=path.relative_to(self.seeds).as_posix(),
            raw_sha256=hashlib.sha256(data).hexdigest(),
            raw_text=decode(path, data),
            origin=rel(path),
        )

    def __call__(self) -> Iterator[Document]:
        for path in self.files():
            try:
                doc = self.read(path)
            except CorpusError as exc:
                self.problems.extend(exc.problems)
                self.counts[f"refused_{exc.problems[0].code}"] += 1
                continue
            self.counts["read"] += 1
            yield doc
