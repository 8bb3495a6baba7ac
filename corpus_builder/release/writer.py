"""The release writer: documents stream into the Parquet shards of both configs;
then the card, datasheet, citation, manifest, Croissant metadata and checksums.

Layout of ``<out>/<version>/``: ``README.md`` (dataset card), ``DATASHEET.md``,
``LICENSE.md``, ``CITATION.cff``, ``manifest.json``, ``croissant.json``,
``data/<config>/<split>-<i>-of-<n>.parquet``, ``plots/*.svg`` and ``SHA256SUMS``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..config import SPLITS
from ..io import write_json
from .card import card_context, yaml_header
from .citation import cff
from .croissant import write_croissant
from .folder import write_checksums
from .manifest import manifest
from .plots import write_plots
from .prose import render
from .rows import DEFAULT_CONFIG, ConfigSchema, config_schemas
from .stats import ReleaseStats

if TYPE_CHECKING:
    from ..config import BuildConfig
    from ..pipeline import PipelineResult


def parquet_name(split: str, shard: int = 0, shards: int = 1) -> str:
    return f"{split}-{shard:05d}-of-{shards:05d}.parquet"


SHARD_ROWS = {"documents": 10_000, "ner": 250_000}  # rows per Parquet file (documented in docs/data-format.md)
GROUP_ROWS = 1_000  # rows per Parquet row group


class ShardWriter:
    """Rows of one config and split, streamed into ``<split>-<i>-of-<n>.parquet`` files
    of at most ``shard_rows`` rows; ``n`` is known only at the end, so shards are
    written under temporary names and renamed by :meth:`close`.

    Rows come as Arrow record batches (a shard task's rows of this config and split,
    converted where the task ran); they are cut so that every row group holds
    :data:`GROUP_ROWS` rows, whatever the batches' sizes: the bytes do not depend on how
    the input was sharded. Until its row group is full, a batch waits on disk (an Arrow
    stream beside the shards), not in memory: a small split fills its groups slowly, and
    held in memory the three splits' waiting rows grew with the corpus (about 24 KB per
    document of both configs, up to three groups of each)."""

    def __init__(self, folder: Path, split: str, schema: pa.Schema, shard_rows: int):
        self.folder, self.split, self.shard_rows = folder, split, shard_rows
        self.schema = schema
        self.waiting = folder / f".{split}-waiting.arrows"  # rows of the next row group
        self.stream: pa.ipc.RecordBatchStreamWriter | None = None
        self.pending = 0  # rows waiting
        self.writer: pq.ParquetWriter | None = None
        self.in_shard = 0
        self.parts: list[Path] = []
        self.rows = 0
        self.nbytes = 0

    def add(self, batch: pa.RecordBatch) -> None:
        while batch.num_rows:
            room = min(GROUP_ROWS - self.pending, self.shard_rows - self.in_shard - self.pending)
            if self.stream is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                self.stream = pa.ipc.new_stream(self.waiting, self.schema)
            self.stream.write_batch(batch.slice(0, room))
            self.pending += min(room, batch.num_rows)
            batch = batch.slice(room)
            if self.pending == GROUP_ROWS or self.in_shard + self.pending == self.shard_rows:
                self._flush()

    def _flush(self) -> None:
        if self.stream is None:  # no row waiting
            return
        if self.writer is None:  # (the stream made the folder)
            part = self.folder / f".{self.split}-{len(self.parts):05d}.parquet.part"
            self.writer = pq.ParquetWriter(part, self.schema, compression="zstd", write_statistics=True)
            self.parts.append(part)
        self.stream.close()
        self.stream = None
        with pa.memory_map(str(self.waiting)) as source:  # written while the file is mapped
            table = pa.ipc.open_stream(source).read_all().combine_chunks()
            self.writer.write_table(table)
        self.waiting.unlink()
        self.nbytes += table.nbytes
        self.rows += table.num_rows
        self.in_shard += table.num_rows
        self.pending = 0
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

    def __init__(self, config: BuildConfig, labels: tuple[str, ...], folder: Path, model: str | None = None):
        self.config, self.folder, self.labels = config, folder, list(labels)
        self.text_license, self.model = config.dataset.text_license, model
        self.stats = ReleaseStats(self.labels)

    @cached_property
    def configs(self) -> dict[str, ConfigSchema]:
        """Taken while the first shard tasks run (without a cache this imports `datasets`):
        the tasks convert their rows to these Arrow schemas."""
        return config_schemas(self.labels, self.config.cache)

    @cached_property
    def writers(self) -> dict[tuple[str, str], ShardWriter]:
        return {(name, split): ShardWriter(self.folder / "data" / name, split, schema.arrow, SHARD_ROWS[name])
                for name, schema in self.configs.items() for split in SPLITS}

    def add(self, batches: Mapping[tuple[str, str], pa.RecordBatch], stats: ReleaseStats) -> None:
        """One shard task's rows, per (config, split), and its figures, in shard order."""
        for (name, split), batch in batches.items():
            self.writers[(name, split)].add(batch)
        self.stats.merge(stats)

    def finish(self, result: PipelineResult) -> dict[str, Any]:
        card_configs, infos = [], []
        for name, schema in self.configs.items():
            splits = [self.writers[(name, split)].close() for split in SPLITS]
            card_configs.append({
                "config_name": name,
                **({"default": True} if name == DEFAULT_CONFIG else {}),
                "data_files": [{"split": s, "path": f"data/{name}/{s}-*.parquet"} for s in SPLITS],
            })
            infos.append({"config_name": name, "features": schema.card,
                          "splits": [{k: s[k] for k in ("name", "num_bytes", "num_examples")} for s in splits],
                          "download_size": sum(s["download"] for s in splits),
                          "dataset_size": sum(s["num_bytes"] for s in splits)})
        folder, config = self.folder, self.config
        man = manifest(result, config, self.stats)
        ctx = {**card_context(config, man, self.stats), "plots": write_plots(folder, self.stats)}
        (folder / "README.md").write_text(
            render("card.md.j2", {**ctx, "yaml_header": yaml_header(ctx, card_configs, infos)}), encoding="utf-8")
        (folder / "DATASHEET.md").write_text(render("datasheet.md.j2", ctx), encoding="utf-8")
        shutil.copyfile(config.root / config.dataset.license_link, folder / "LICENSE.md")
        (folder / "CITATION.cff").write_text(cff(man["citation"]), encoding="utf-8")
        write_json(folder / "manifest.json", man)
        write_croissant(folder, man, ctx["answers"])
        write_checksums(folder)
        return man
