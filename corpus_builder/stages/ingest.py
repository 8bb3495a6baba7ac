"""Ingest: a folder of raw ``.txt`` articles -> :class:`Document` records.

Document id rule: the file name without ``.txt`` (``000_609d6079c7c3312f.txt`` ->
``000_609d6079c7c3312f``). Ids must match :data:`DOC_ID_PATTERN` so that they are
safe as file names, URLs and overlay keys. Files are read in sorted order and
decoded strictly as UTF-8; the raw bytes' sha256 is the document's provenance.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..catalogue import error, problem
from ..errors import CorpusError, Problem, rel
from ..io import (DuplicateKey, NotRegular, TooLarge, file_kind, lone_surrogate, loads_strict, read_regular,
                  sha256_bytes, sha256_text)
from ..records import Document
from . import Counts

DOC_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")  # fullmatch: `$` lets a final "\n" by


@dataclass(frozen=True)
class Piece:
    """Records ``[start, stop)`` of one input file, the unit shards are made of: lines
    of a JSON Lines file (1-based; ``offset`` is the byte where line ``start`` begins),
    rows of a Parquet file (0-based), a whole ``.txt`` file. ``stop`` None: to the end."""

    path: Path
    start: int = 0
    stop: int | None = None
    offset: int = 0


Shard = tuple[Piece, ...]


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
        raise error("E101", file=rel(path), position=f"line {line}, column {column} (byte {exc.start})",
                    found=repr(data[exc.start:exc.start + 4]), expected="UTF-8 text") from None


class Ingest:
    """The source stage: list and read the seed files; a bad file becomes a problem (all of them
    are reported in one run) and is left out. Counts files read and refused, by reason."""

    name = "ingest"

    def __init__(self, seeds: Path, max_bytes: int = 256 * 1024 * 1024):
        self.seeds = Path(seeds)
        self.max_bytes = max_bytes
        self.root = self.seeds
        self.stats = Counts()
        self.problems: list[Problem] = []

    def files(self) -> list[Path]:
        """Input files in sorted order: the folder is searched recursively (hidden
        entries and symlinked folders are skipped); a single file is used as it is."""
        if self.seeds.is_file() and self.seeds.suffix in SUFFIXES:
            self.root = self.seeds.parent
            return [self.seeds]
        if not self.seeds.is_dir():
            raise error("E100", file=rel(self.seeds))
        found = []
        for dirpath, dirs, names in os.walk(self.seeds):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [Path(dirpath) / n for n in names if not n.startswith(".")]
        files = sorted((p for p in found if p.suffix in SUFFIXES), key=lambda p: p.relative_to(self.seeds).as_posix())
        self.stats.counts["skipped_other_files"] += len(found) - len(files)
        if not files:
            raise error("E100:empty", file=rel(self.seeds))
        return files

    def doc_id(self, path: Path) -> str:
        """The path below the seeds folder without its suffix, folders joined by ``__``."""
        return "__".join(path.relative_to(self.root).with_suffix("").parts)

    def read(self, path: Path) -> Document:
        doc_id = self.doc_id(path)
        if not DOC_ID_PATTERN.fullmatch(doc_id):
            raise error("E104", file=rel(path), found=doc_id, expected=DOC_ID_PATTERN.pattern)
        try:
            data = read_regular(path, self.max_bytes, follow_symlinks=True)  # checked by check() already
        except NotRegular as exc:
            raise error("E151", file=rel(path), kind=exc.kind) from None
        except TooLarge as exc:
            raise error("E152", file=rel(path), size=exc.size, limit=exc.limit) from None
        except OSError as exc:
            raise error("E109", file=rel(path), reason=exc.strerror or exc) from None
        if not data:
            raise error("E102", file=rel(path))
        if looks_binary(data):
            raise error("E105", file=rel(path),
                        position=f"byte {next(i for i, b in enumerate(data) if b < 32 and b not in (9, 10, 12, 13))}")
        return Document(
            doc_id=doc_id,
            source_file=path.relative_to(self.root).as_posix(),
            raw_sha256=sha256_bytes(data),
            raw_text=decode(path, data),
            origin=rel(path),
        )

    def check(self, path: Path) -> None:
        """Before a file is opened: a link stays inside the seeds folder, the file is a
        regular one (a FIFO would hang the read, a device never end) of bounded size."""
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(self.root.resolve()):
                raise error("E108", file=rel(path), found=str(target))
        try:
            st = path.stat()
        except OSError as exc:
            raise error("E109", file=rel(path), reason=exc.strerror or exc) from None
        if stat.S_ISDIR(st.st_mode):
            raise error("E109:folder", file=rel(path))
        if not stat.S_ISREG(st.st_mode):
            raise error("E151", file=rel(path), kind=file_kind(st.st_mode))
        if st.st_size > self.max_bytes:
            raise error("E152", file=rel(path), size=st.st_size, limit=self.max_bytes)

    def shards(self, size: int) -> list[Shard]:
        """The input cut into shards of about ``size`` records, in input order (a shard
        task reads only its own records: see :mod:`corpus_builder.shards`)."""
        shards: list[Shard] = []
        current: list[Piece] = []
        filled = 0
        for path in self.files():
            try:
                self.check(path)  # a FIFO or a huge file is not opened to count its records
            except CorpusError:
                pieces: Iterable[tuple[Piece, int]] = [(Piece(path), 1)]  # its task reports why
            else:
                pieces = _pieces(path, size - filled, size)
            for piece, n in pieces:
                current.append(piece)
                filled += n
                if filled >= size:
                    shards.append(tuple(current))
                    current, filled = [], 0
        if current:
            shards.append(tuple(current))
        return shards

    def records(self, path: Path, piece: Piece | None = None) -> Iterator[Document]:
        """Articles of a JSON Lines or Parquet file: columns ``id``, ``text`` and
        optionally ``title``, ``published``, ``publisher``, ``url``, ``license``."""
        name = rel(path)
        source = path.relative_to(self.root).as_posix()
        piece = piece or Piece(path)
        if path.suffix == ".jsonl":
            rows = _jsonl_rows(path, name, max(piece.start, 1), piece.stop, piece.offset)
        else:
            rows = _parquet_rows(path, name, piece.start, piece.stop)
        for position, row in rows:  # a bad record is reported and skipped; the others are read
            if isinstance(row, Problem):
                self.problems.append(row)
                continue
            doc_id, text = row.get("id"), row.get("text")
            if not isinstance(doc_id, str) or not DOC_ID_PATTERN.fullmatch(doc_id):
                self.problems.append(problem("E104:record", file=name, position=position,
                                             found=repr(doc_id), expected=DOC_ID_PATTERN.pattern))
                continue
            if not isinstance(text, str) or not text.strip():
                self.problems.append(problem("E102:record", file=name, position=position))
                continue
            meta = {k: row[k] for k in INPUT_METADATA if isinstance(row.get(k), str) and row[k].strip()}
            bad = next((k for k in ("published", "url") if k in meta and not _well_formed(k, meta[k])), None)
            if bad is not None:
                self.problems.append(problem("E114", file=name, position=f"{position}, /{bad}", found=meta[bad],
                                             expected=WELL_FORMED[bad]))
                continue
            yield Document(doc_id=doc_id, source_file=f"{source}#{position}",
                           raw_sha256=sha256_text(text), raw_text=text,
                           origin=f"{name} {position}", input_metadata=meta)

    def __call__(self, shard: Iterable[Piece] | None = None) -> Iterator[Document]:
        """Every input document, or those of one ``shard``."""
        pieces = shard if shard is not None else (Piece(path) for path in self.files())
        for piece in pieces:
            path = piece.path
            if self.seeds.is_file():
                self.root = self.seeds.parent
            try:
                self.check(path)
                if path.suffix == ".txt":
                    docs: Iterator[Document] = iter([self.read(path)])
                else:
                    docs = self.records(path, piece)
                for doc in docs:
                    self.stats.counts["read"] += 1
                    yield doc
            except CorpusError as exc:
                self.problems.extend(exc.problems)
                self.stats.counts[f"refused_{exc.problems[0].code}"] += 1
            except OSError as exc:
                self.problems.append(problem("E109:records", file=rel(path), reason=exc.strerror or exc))


SUFFIXES = (".txt", ".jsonl", ".parquet")
INPUT_METADATA = ("title", "published", "publisher", "url", "license")


WELL_FORMED = {"published": "YYYY-MM-DD, a day of the calendar", "url": "a link without spaces or control characters"}


def _well_formed(key: str, value: str) -> bool:
    """A record's date is a real day and its link one token: both are published as given."""
    if key == "url":
        return value.isprintable() and not any(c.isspace() for c in value)
    try:
        return bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)) and bool(dt.date.fromisoformat(value))
    except ValueError:
        return False


def _pieces(path: Path, first: int, size: int) -> Iterator[tuple[Piece, int]]:
    """(piece, records in it): the first holds up to ``first`` records, the others ``size``."""
    if path.suffix == ".txt":
        yield Piece(path), 1
        return
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.ParquetFile(path).metadata.num_rows
            start, want = 0, first
            while start < rows:
                stop = min(rows, start + want)
                yield Piece(path, start, stop), stop - start
                start, want = stop, size
            return
        with path.open("rb") as fh:
            start, offset, position, count, want = 1, 0, 0, 0, first
            for n, raw in enumerate(fh, 1):
                if count == want and raw.strip():
                    yield Piece(path, start, n, offset), count
                    start, offset, count, want = n, position, 0, size
                count += bool(raw.strip())
                position += len(raw)
            if count:
                yield Piece(path, start, None, offset), count
    except Exception:  # unreadable: one piece, whose task reports why (E109, E111)
        yield Piece(path), 1


def _jsonl_rows(path: Path, name: str, start: int = 1, stop: int | None = None,
                offset: int = 0) -> Iterator[tuple[str, dict | Problem]]:
    with path.open("rb") as fh:
        fh.seek(offset)
        for n, raw in enumerate(fh, start):
            if stop is not None and n >= stop:
                return
            if not raw.strip():
                continue
            try:
                row = loads_strict(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield f"line {n}", problem("E101:line", file=name, position=f"line {n}, byte {exc.start}")
                continue
            except DuplicateKey as exc:
                yield f"line {n}", problem("E150", file=name, position=f"line {n}", key=exc.key)
                continue
            except ValueError as exc:
                yield f"line {n}", problem("E110", file=name, position=f"line {n}", error=str(exc)[:80])
                continue
            if not isinstance(row, dict):
                yield f"line {n}", problem("E110:object", file=name, position=f"line {n}")
                continue
            if (at := lone_surrogate(row)) is not None:
                yield f"line {n}", problem("E113", file=name, position=f"line {n}, {at}")
                continue
            yield f"line {n}", row


def _parquet_rows(path: Path, name: str, start: int = 0, stop: int | None = None) -> Iterator[tuple[str, dict | Problem]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # not Parquet, truncated: pyarrow raises several types
        yield "", problem("E111", file=name, error=str(exc)[:100])
        return
    n = 0
    columns = [c for c in ("id", "text", *INPUT_METADATA) if c in pf.schema_arrow.names]
    for batch in pf.iter_batches(batch_size=256, columns=columns):
        if n + batch.num_rows <= start:  # before this shard's rows
            n += batch.num_rows
            continue
        for row in batch.to_pylist():
            n += 1
            if n > start and (stop is None or n <= stop):
                yield f"row {n}", row
        if stop is not None and n >= stop:
            return
