"""Publish: write a release folder atomically and never overwrite a different one.

Layout of ``<out>/<version>/``: ``README.md`` (dataset card), ``DATASHEET.md``,
``LICENSE.md``, ``manifest.json``, ``data/<config>/<split>-00000-of-00001.parquet``
and ``SHA256SUMS`` (``sha256sum -c`` format, every other file). Everything is
written into a temporary sibling folder (``.tmp-<version>-<pid>``), flushed to disk
and renamed into place only when complete; a lock keeps two builds from writing the
same output folder at once, and the build holding it first removes staging folders
that killed builds left behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Features

from .errors import CorpusError, ExitCode, Problem, rel

if TYPE_CHECKING:
    from .config import BuildConfig
    from .document import Document
    from .pipeline import Corpus

SUMS = "SHA256SUMS"


def parquet_name(split: str, shard: int = 0, shards: int = 1) -> str:
    return f"{split}-{shard:05d}-of-{shards:05d}.parquet"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_json(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")


def write_checksums(folder: Path) -> str:
    lines = [f"{sha256_file(p)}  {p.relative_to(folder).as_posix()}"
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != SUMS]
    text = "\n".join(lines) + "\n"
    (folder / SUMS).write_text(text, encoding="utf-8")
    return text


TOP_LEVEL_COPIES = ("DATASHEET.md", "CITATION.cff")  # the project's own copies of its current release's files


def sync_top_level(release: Path, root: Path) -> None:
    for name in TOP_LEVEL_COPIES:
        shutil.copyfile(release / name, root / name)


def same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


@contextmanager
def output_lock(out: Path) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CorpusError(Problem("E502", "another build is writing to this output folder", file=rel(out),
                                      hint="wait for it to finish, or build into another folder with --out"),
                              ExitCode.USAGE) from None
        try:
            remove_stale_staging(out)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def remove_stale_staging(out: Path) -> None:
    """Delete ``.tmp-<version>-<pid>`` folders of builds that died (safe only while holding the lock)."""
    for p in out.glob(".tmp-*"):
        if p.is_dir() and p.name.rsplit("-", 1)[-1].isdigit():
            shutil.rmtree(p, ignore_errors=True)


def fsync_path(path: Path | str) -> None:
    """Flush one file's or directory's data and metadata to disk."""
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Flush every file under ``folder``, then every directory, ``folder`` last."""
    for dirpath, _dirs, files in os.walk(folder, topdown=False):
        for name in files:
            fsync_path(os.path.join(dirpath, name))
        fsync_path(dirpath)


@contextmanager
def staging(out: Path, version: str) -> Iterator[Path]:
    """A temporary folder next to the release; removed unless promoted."""
    tmp = out / f".tmp-{version}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def promote(tmp: Path, target: Path) -> str:
    """Rename ``tmp`` to ``target``; returns "written" or "unchanged".

    An existing release is immutable: identical bytes are fine, different bytes are an error."""
    if target.exists():
        if same_tree(tmp, target):
            return "unchanged"
        raise CorpusError(Problem(
            "E501", "a different release with this version already exists", file=rel(target),
            hint="released versions are immutable: bump [dataset].version in corpus.toml, "
                 "or build elsewhere with --out"))
    fsync_tree(tmp)  # the bytes are on disk before the name points at them
    os.replace(tmp, target)
    fsync_path(target.parent)  # and the rename itself survives a crash
    return "written"


# --- the release ------------------------------------------------------------------

SHARD_ROWS = {"documents": 10_000, "ner": 250_000}  # rows per Parquet file (documented in docs/data-format.md)
GROUP_ROWS = 1_000  # rows per Parquet row group
BATCH_ROWS = 64  # rows held as Python objects before they become (compact) Arrow data


class ShardWriter:
    """Rows of one config and split, streamed into ``<split>-<i>-of-<n>.parquet`` files
    of at most ``shard_rows`` rows; ``n`` is known only at the end, so shards are
    written under temporary names and renamed by :meth:`close`.

    A row group is gathered as Arrow record batches of :data:`BATCH_ROWS` rows: a
    thousand ``documents`` rows as Python dicts (text, edits, entity structs) take tens
    of megabytes per split, the same rows in Arrow a few, and the row group written is
    the same."""

    def __init__(self, folder: Path, split: str, features: Features, shard_rows: int):
        self.folder, self.split, self.shard_rows = folder, split, shard_rows
        self.schema = features.arrow_schema
        self.buffer: list[dict[str, Any]] = []
        self.batches: list[pa.RecordBatch] = []
        self.pending = 0  # rows in buffer + batches
        self.writer: pq.ParquetWriter | None = None
        self.in_shard = 0
        self.parts: list[Path] = []
        self.rows = 0
        self.nbytes = 0

    def add(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self.buffer.append(row)
            self.pending += 1
            if self.pending == GROUP_ROWS or self.in_shard + self.pending == self.shard_rows:
                self._flush()
            elif len(self.buffer) == BATCH_ROWS:
                self._batch()

    def _batch(self) -> None:
        if self.buffer:
            self.batches.append(pa.RecordBatch.from_pylist(self.buffer, schema=self.schema))
            self.buffer = []

    def _flush(self) -> None:
        self._batch()
        if not self.batches:
            return
        if self.writer is None:
            part = self.folder / f".{self.split}-{len(self.parts):05d}.parquet.part"
            self.folder.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(part, self.schema, compression="zstd", write_statistics=True)
            self.parts.append(part)
        table = pa.Table.from_batches(self.batches, schema=self.schema).combine_chunks()
        self.writer.write_table(table)
        self.nbytes += table.nbytes
        self.rows += table.num_rows
        self.in_shard += table.num_rows
        self.batches, self.pending = [], 0
        if self.in_shard >= self.shard_rows:
            self.writer.close()
            self.writer, self.in_shard = None, 0

    def close(self) -> dict[str, Any]:
        self._flush()
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if not self.parts:  # an empty split still gets its (empty) file
            self.folder.mkdir(parents=True, exist_ok=True)
            part = self.folder / f".{self.split}-00000.parquet.part"
            pq.write_table(self.schema.empty_table(), part, compression="zstd")
            self.parts.append(part)
        size = 0
        for i, part in enumerate(self.parts):
            final = self.folder / parquet_name(self.split, i, len(self.parts))
            os.replace(part, final)
            size += final.stat().st_size
        return {"name": self.split, "num_bytes": self.nbytes, "num_examples": self.rows, "files": len(self.parts),
                "download": size}


class ReleaseWriter:
    """Streams documents into the Parquet shards of both configs, then writes the card,
    datasheet, citation, manifest, Croissant metadata and checksums."""

    def __init__(self, config: "BuildConfig", labels: tuple[str, ...], folder: Path, model: str | None = None):
        from .assemble import document_features, document_row, ner_features, ner_rows
        from .config import SPLITS
        from .manifest import ReleaseStats

        self.config, self.folder, self.labels = config, folder, list(labels)
        text_license = config.dataset.text_license
        self.configs = {
            "documents": (document_features(self.labels), lambda d: [document_row(d, self.labels, text_license, model)]),
            "ner": (ner_features(self.labels), lambda d: ner_rows(d, self.labels)),
        }
        self.writers = {(name, split): ShardWriter(folder / "data" / name, split, features, SHARD_ROWS[name])
                        for name, (features, _) in self.configs.items() for split in SPLITS}
        self.stats = ReleaseStats(self.labels)

    def add(self, doc: "Document") -> None:
        for name, (_, rows_of) in self.configs.items():
            self.writers[(name, doc.split)].add(rows_of(doc))
        self.stats.add(doc)

    def finish(self, corpus: "Corpus") -> dict[str, Any]:
        from .card import context, render, yaml_header
        from .citation import cff
        from .config import SPLITS
        from .croissant import write_croissant
        from .manifest import manifest

        card_configs, infos = [], []
        for name, (features, _) in self.configs.items():
            splits = [self.writers[(name, split)].close() for split in SPLITS]
            card_configs.append({
                "config_name": name,
                **({"default": True} if name == "documents" else {}),
                "data_files": [{"split": s, "path": f"data/{name}/{s}-*.parquet"} for s in SPLITS],
            })
            infos.append({"config_name": name, "features": features._to_yaml_list(),
                          "splits": [{k: s[k] for k in ("name", "num_bytes", "num_examples")} for s in splits],
                          "download_size": sum(s["download"] for s in splits),
                          "dataset_size": sum(s["num_bytes"] for s in splits)})
        folder, config = self.folder, self.config
        man = manifest(corpus, config, self.stats)
        ctx = context(config, man, self.stats)
        (folder / "README.md").write_text(
            render("card.md.j2", {**ctx, "yaml_header": yaml_header(ctx, card_configs, infos)}), encoding="utf-8")
        (folder / "DATASHEET.md").write_text(render("datasheet.md.j2", ctx), encoding="utf-8")
        shutil.copyfile(config.root / "LICENSE.md", folder / "LICENSE.md")
        (folder / "CITATION.cff").write_text(cff(man["citation"]), encoding="utf-8")
        write_json(folder / "manifest.json", man)
        write_croissant(folder, man)
        write_checksums(folder)
        return man
