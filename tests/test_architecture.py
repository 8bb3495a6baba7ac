"""The package's shape is a contract: no import cycles, nothing outside ``cli/``
imports the command line, and every import between packages is one that
docs/architecture.md allows (the table there is what this test reads)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "corpus_builder"
sys.path.insert(0, str(ROOT / "benchmarks"))
import architecture  # noqa: E402  (benchmarks/architecture.py: the one import-graph reader)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports at run time (functions included,
    ``if TYPE_CHECKING:`` left out): the same reading as benchmarks/architecture.py."""
    graph = architecture.import_graph(architecture.load_modules(PACKAGE))
    out: dict[str, set[str]] = {n: set() for n in graph["nodes"]}
    for a, b in graph["edges"]:
        out[a].add(b)
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node."""
    adjacency = {n: sorted(graph.get(n, ())) for n in sorted(set(graph) | {t for ts in graph.values() for t in ts})}
    return sorted(c for c in architecture.strongly_connected(adjacency) if len(c) > 1)


def package_of(module: str) -> str:
    """``corpus_builder.stages.ner`` -> ``stages``; a top-level module -> ``core``
    (``pipeline`` and ``shards`` are layers of their own; ``__main__`` belongs to the command line)."""
    parts = module.split(".")[1:]
    if not parts:
        return "core"
    if len(parts) == 1 and (PACKAGE / f"{parts[0]}.py").is_file():
        return {"pipeline": "pipeline", "shards": "shards", "__main__": "cli"}.get(parts[0], "core")
    return parts[0]


def allowed() -> dict[str, set[str]]:
    """The `may import` column of docs/architecture.md's package table."""
    table: dict[str, set[str]] = {}
    for line in (ROOT / "docs" / "architecture.md").read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`\w+`", cells[0]):
            table[cells[0].strip("`")] = set(re.findall(r"`(\w+)`", cells[2]))
    return table


def test_the_graph_is_read_from_the_real_package():
    graph = import_graph()
    assert len(graph) > 40
    assert "corpus_builder.stages.normalize" in graph["corpus_builder.pipeline"]
    assert "corpus_builder.annotation.adjudication" in graph["corpus_builder.stages.overlays"]
    assert "corpus_builder.cli.build" in graph["corpus_builder.cli"]  # `from . import build`
    # imports for type hints only are not dependencies
    assert "corpus_builder.executors" not in graph["corpus_builder.stages.ner"]


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_nothing_outside_the_command_line_imports_it():
    offenders = [(m, sorted(t for t in targets if package_of(t) == "cli"))
                 for m, targets in import_graph().items() if package_of(m) != "cli"]
    assert [o for o in offenders if o[1]] == []


def test_every_import_between_packages_is_allowed_by_the_architecture_doc():
    table = allowed()
    graph = import_graph()
    assert set(table) == {package_of(m) for m in graph}, "docs/architecture.md must list every package"
    forbidden = sorted((m, t) for m, targets in graph.items() for t in targets
                       if package_of(t) not in table[package_of(m)] | {package_of(m)})
    assert forbidden == [], "imports docs/architecture.md does not allow (importer, imported)"


def test_the_allowed_layers_have_no_cycle_themselves():
    table = allowed()
    assert cycles({p: {q for q in deps if q != p} for p, deps in table.items()}) == []


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
])
def test_cycle_finder(graph, expected):
    assert cycles(graph) == expected


def test_every_stage_has_its_own_module_and_the_build_help_names_it():
    from typer.testing import CliRunner

    from corpus_builder.cli import app

    help_text = CliRunner().invoke(app, ["build", "--help"], terminal_width=200).output
    for stage in ("ingest", "normalize", "dedup", "ner", "overlays", "splits"):
        assert (PACKAGE / "stages" / f"{stage}.py").is_file()
        assert f"stages/{stage}.py" in help_text.replace("\n", " ").replace("│", " ") or f"stages/{stage}.py" in help_text


def test_no_module_imports_another_modules_private_names():
    """A leading underscore means "this module's own": importing it elsewhere couples the
    two modules behind the contract's back."""
    found = []
    for module in architecture.load_modules(PACKAGE):
        for node in architecture.walk_imports(module.tree):
            stmt = node[0]
            if isinstance(stmt, architecture.ast.ImportFrom) and (stmt.level or (stmt.module or "").startswith(PACKAGE.name)):
                found += [f"{module.name}: {alias.name}" for alias in stmt.names
                          if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert found == []
