"""Measure the architecture of a Python package folder (standard library only).

Usage: ``python benchmarks/architecture.py PACKAGE_DIR [--json]``

Prints a two-column Markdown table (figure | value) that can be pasted into a
note, then, as the last line, one JSON object holding the same figures. With
``--json`` only the JSON object is printed. Nothing is imported or executed:
every figure comes from reading the files and parsing them with ``ast``.

Figures and how they are computed (and why):

* **modules per package** -- every folder under PACKAGE_DIR holding ``.py``
  files (``__pycache__`` skipped) is a package; its count is the number of
  ``.py`` files in it, ``__init__.py`` shown apart as "7 (+__init__)". Shows
  whether the code sits on one flat floor or in sub-packages.
* **largest modules** -- physical lines of the file (``len(splitlines())``,
  blank lines and comments included); the largest and the top 3.
* **largest functions** -- every ``def``/``async def`` (methods and nested
  functions too, named ``Class.method`` / ``outer.inner``); lines are
  ``end_lineno - lineno + 1`` of the def statement (decorators excluded, a
  nested function also counts inside its outer one). The top 3.
* **import graph** -- nodes are the package's own modules (``pkg/__init__.py``
  is the node ``pkg``). Every ``import``/``from ... import`` anywhere in a
  module (also inside functions) whose target is one of those modules gives an
  edge importer -> imported. Relative imports are resolved against the
  importing module's package. ``from X import a`` points at ``X.a`` when that
  is a module (a submodule import), otherwise at ``X``; ``import X.Y`` points
  at the deepest module of that dotted name (the implicit execution of parent
  ``__init__`` files is not an edge). Imports in the body of
  ``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``) are not edges: they never
  run. A module importing itself is dropped. "lazy" imports are import
  statements nested in a function: they are edges, and are counted apart
  (statements, and edges that exist only through lazy imports), because they
  hide a dependency (often a cycle) from the module's header.
  - *longest chain*: the longest simple path, in edges, from importer to
    imported. Cycles are collapsed first into their strongly connected
    components (Tarjan) and the depth is the longest path of that
    condensation DAG (a component counts as one step; the output says so).
  - *cycles*: strongly connected components of more than one module; an
    edge of the cycle that exists only as a lazy import is marked "(lazy)".
  - *CLI imported by*: modules outside the sub-package ``<pkg>.cli`` (and
    other than ``<pkg>.__main__``, the CLI entry point) that import ``<pkg>.cli``
    or anything in it -- a core module depending on the command line.
* **copies of helpers** -- simple name/call heuristics over every function
  definition, meant to find duplicated small utilities, not to prove it:
  - sha256: the body calls ``hashlib.sha256`` (or a bare ``sha256`` name),
    some ``return`` returns a ``.hexdigest()`` call (the function's job is the
    digest; without this, functions that merely use a digest -- a checksum
    ``.digest()``, a dict holding one, a hash bucket -- were counted), and the
    def is 12 lines or fewer. Separately: every ``hashlib.sha256`` call site,
    helpers included, to show how often the digest is computed inline;
  - JSON writer: the body calls ``json.dumps``/``json.dump`` and also ``open``
    or anything whose name contains "write" (``write_text``, ``write``,
    ``write_bytes``, an ``atomic_write`` helper), 12 lines or fewer;
  - BibTeX: the function name contains "bibtex" (any case);
  - atomic write: the function name contains "atomic" (any case).
  "Calls" means anywhere in the def, nested functions included. Each
  category gives the number of functions and of modules holding them (a
  copy lives in another module; ``bibtex`` and its ``bibtex_key`` helper in
  one module are one copy).
* **error codes** -- distinct string literals that are exactly ``[EW]`` plus
  three digits (``^[EW]\\d{3}$``) in any ``.py`` file, and the number of files
  containing at least one. Codes written only inside f-strings or
  docstrings with other text are not seen.
"""

from __future__ import annotations

import argparse
import ast
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

SMALL_HELPER = 12  # lines: a "small helper" def
TOP = 3
Edge = tuple[str, str]


# --------------------------------------------------------------------------- modules

class Module:
    """One ``.py`` file: its dotted name, the package it resolves imports in, its tree."""

    def __init__(self, root: Path, path: Path) -> None:
        self.path = path
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        self.is_init = parts[-1] == "__init__"
        self.name = ".".join(parts[:-1] if self.is_init else parts)
        self.package = self.name if self.is_init else ".".join(parts[:-1])
        self.text = path.read_text(encoding="utf-8")
        self.lines = len(self.text.splitlines())
        self.tree = ast.parse(self.text, filename=str(path))


def load_modules(root: Path) -> list[Module]:
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    return [Module(root, p) for p in files]


def short(name: str, top: str) -> str:
    """``corpus_builder.cli.build`` -> ``cli.build``; the top package stays whole."""
    return name.removeprefix(top + ".") if name != top else name


def package_counts(root: Path, modules: list[Module]) -> dict[str, dict[str, int | bool]]:
    counts: dict[str, dict[str, int | bool]] = {}
    for m in modules:
        folder = ".".join([root.name, *m.path.parent.relative_to(root).parts])
        entry = counts.setdefault(folder, {"modules": 0, "init": False})
        if m.is_init:
            entry["init"] = True
        else:
            entry["modules"] += 1
    return dict(sorted(counts.items()))


# --------------------------------------------------------------------------- functions

def walk_defs(node: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Every def under ``node`` with its qualified name (``Class.method``, ``outer.inner``)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + child.name, child
            yield from walk_defs(child, f"{prefix}{child.name}.")
        elif isinstance(child, ast.ClassDef):
            yield from walk_defs(child, f"{prefix}{child.name}.")
        else:
            yield from walk_defs(child, prefix)


def def_lines(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1  # type: ignore[attr-defined]


def all_defs(modules: list[Module]) -> list[dict]:
    return [{"name": qual, "module": m.name, "line": node.lineno, "lines": def_lines(node), "node": node}
            for m in modules for qual, node in walk_defs(m.tree)]


# --------------------------------------------------------------------------- imports

def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def walk_imports(node: ast.AST, lazy: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Import statements with a flag "inside a function"; ``if TYPE_CHECKING:`` bodies skipped."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, lazy
        elif isinstance(child, ast.If) and is_type_checking(child.test):
            for sub in child.orelse:
                yield from walk_imports(ast.Module(body=[sub], type_ignores=[]), lazy)
        else:
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from walk_imports(child, inner)


def resolve_base(module: Module, node: ast.ImportFrom) -> str | None:
    if node.level == 0:
        return node.module
    parts = module.package.split(".")
    if node.level - 1 >= len(parts):
        return None  # beyond the top package
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


def deepest_known(name: str, known: set[str]) -> str | None:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:i])) in known:
            return candidate
    return None


def targets(module: Module, node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        found = (deepest_known(a.name, known) for a in node.names)
        return {t for t in found if t}
    base = resolve_base(module, node)
    if base is None:
        return set()
    out: set[str] = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in known:
            out.add(f"{base}.{alias.name}")
        elif base in known:
            out.add(base)
    return out


def import_graph(modules: list[Module]) -> dict:
    """Edges importer -> imported among the package's modules, with lazy-import bookkeeping."""
    known = {m.name for m in modules}
    eager: set[Edge] = set()
    lazy: set[Edge] = set()
    lazy_statements = 0
    for m in modules:
        for node, in_function in walk_imports(m.tree):
            found = targets(m, node, known) - {m.name}
            if found and in_function:
                lazy_statements += 1
            (lazy if in_function else eager).update((m.name, t) for t in found)
    return {"nodes": sorted(known), "edges": eager | lazy, "lazy_only": lazy - eager,
            "lazy_statements": lazy_statements}


def adjacency(nodes: list[str], edges: set[Edge]) -> dict[str, list[str]]:
    adj: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in sorted(edges):
        adj[a].append(b)
    return adj


def strongly_connected(adj: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components in reverse topological order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in adj:
        if start in index:
            continue
        work = [(start, iter(adj[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(adj[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def longest_chain(adj: dict[str, list[str]], components: list[list[str]]) -> list[list[str]]:
    """Longest path of the condensation DAG, as a list of components (first = importer)."""
    comp_of = {n: i for i, comp in enumerate(components) for n in comp}
    succ: dict[int, set[int]] = defaultdict(set)
    for a, children in adj.items():
        for b in children:
            if comp_of[a] != comp_of[b]:
                succ[comp_of[a]].add(comp_of[b])
    # Tarjan yields components in reverse topological order: successors come first.
    best: dict[int, tuple[int, int | None]] = {}
    for i in range(len(components)):
        options = [(best[j][0] + 1, j) for j in sorted(succ[i])]
        best[i] = max(options, default=(0, None), key=lambda o: o[0])
    node: int | None = max(best, key=lambda i: best[i][0], default=None)
    chain: list[list[str]] = []
    while node is not None:
        chain.append(components[node])
        node = best[node][1]
    return chain


def cli_importers(top: str, edges: set[Edge], lazy_only: set[Edge]) -> list[dict]:
    cli = f"{top}.cli"
    inside = lambda n: n == cli or n.startswith(cli + ".")  # noqa: E731
    return [{"module": a, "imports": b, "lazy": (a, b) in lazy_only}
            for a, b in sorted(edges) if inside(b) and not inside(a) and a != f"{top}.__main__"]


def graph_figures(top: str, modules: list[Module]) -> dict:
    g = import_graph(modules)
    adj = adjacency(g["nodes"], g["edges"])
    components = strongly_connected(adj)
    cycles = [c for c in components if len(c) > 1]
    chain = longest_chain(adj, components)
    cycle_edges = [[{"from": a, "to": b, "lazy": (a, b) in g["lazy_only"]}
                    for a, b in sorted(g["edges"]) if a in c and b in c] for c in cycles]
    return {
        "modules": len(g["nodes"]),
        "edges": len(g["edges"]),
        "lazy_import_statements": g["lazy_statements"],
        "lazy_only_edges": sorted(map(list, g["lazy_only"])),
        "longest_chain_depth": max(len(chain) - 1, 0),
        "longest_chain": chain,
        "depth_on_condensation": bool(cycles),
        "cycles": cycles,
        "cycle_edges": cycle_edges,
        "cli_imported_by": cli_importers(top, g["edges"], g["lazy_only"]),
    }


# --------------------------------------------------------------------------- helpers

def call_names(node: ast.AST) -> set[str]:
    """Names of everything called under ``node``: ``f`` and ``obj.f`` give "f", ``mod.f`` also "mod.f"."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            if isinstance(sub.func, ast.Name):
                names.add(sub.func.id)
            elif isinstance(sub.func, ast.Attribute):
                names.add(sub.func.attr)
                if isinstance(sub.func.value, ast.Name):
                    names.add(f"{sub.func.value.id}.{sub.func.attr}")
    return names


def returns_hexdigest(node: ast.AST) -> bool:
    return any(isinstance(r, ast.Return) and isinstance(r.value, ast.Call)
               and isinstance(r.value.func, ast.Attribute) and r.value.func.attr == "hexdigest"
               for r in ast.walk(node))


def helper_kinds(name: str, node: ast.AST, lines: int) -> list[str]:
    calls = call_names(node)
    small = lines <= SMALL_HELPER
    kinds = []
    if small and calls & {"hashlib.sha256", "sha256"} and returns_hexdigest(node):
        kinds.append("sha256")
    writes = "open" in calls or any("write" in c.rsplit(".", 1)[-1] for c in calls)
    if small and calls & {"json.dumps", "json.dump"} and writes:
        kinds.append("json_writer")
    if "bibtex" in name.lower().rsplit(".", 1)[-1]:
        kinds.append("bibtex")
    if "atomic" in name.lower().rsplit(".", 1)[-1]:
        kinds.append("atomic_write")
    return kinds


def helper_copies(defs: list[dict], top: str) -> dict[str, dict]:
    found: dict[str, list[dict]] = {k: [] for k in ("sha256", "json_writer", "bibtex", "atomic_write")}
    for d in defs:
        for kind in helper_kinds(d["name"], d["node"], d["lines"]):
            found[kind].append(d)
    return {k: {"count": len(v), "modules": len({d["module"] for d in v}),
                "where": [f"{short(d['module'], top)}:{d['name']}" for d in v]} for k, v in found.items()}


def is_sha256_call(node: ast.AST) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return (isinstance(func, ast.Name) and func.id == "sha256") or (
        isinstance(func, ast.Attribute) and func.attr == "sha256"
        and isinstance(func.value, ast.Name) and func.value.id == "hashlib")


def sha256_call_sites(modules: list[Module]) -> dict[str, int]:
    per_module = {m.name: sum(map(is_sha256_call, ast.walk(m.tree))) for m in modules}
    return {"calls": sum(per_module.values()), "modules": sum(bool(v) for v in per_module.values())}


# --------------------------------------------------------------------------- error codes

def is_code(value: object) -> bool:
    return (isinstance(value, str) and len(value) == 4 and value[0] in "EW"
            and value[1:].isascii() and value[1:].isdigit())


def error_codes(modules: list[Module]) -> dict:
    per_file = {m.name: {n.value for n in ast.walk(m.tree) if isinstance(n, ast.Constant) and is_code(n.value)}
                for m in modules}
    codes = set().union(*per_file.values())
    return {"distinct": len(codes), "errors": sum(c[0] == "E" for c in codes),
            "warnings": sum(c[0] == "W" for c in codes), "files": sum(bool(v) for v in per_file.values())}


# --------------------------------------------------------------------------- report

def measure(root: Path) -> dict:
    top = root.name
    modules = load_modules(root)
    defs = all_defs(modules)
    rel = lambda m: m.path.relative_to(root.parent).as_posix()  # noqa: E731
    by_size = sorted(modules, key=lambda m: -m.lines)[:TOP]
    big_defs = sorted(defs, key=lambda d: -d["lines"])[:TOP]
    return {
        "package": top,
        "packages": package_counts(root, modules),
        "largest_modules": [{"path": rel(m), "lines": m.lines} for m in by_size],
        "total_lines": sum(m.lines for m in modules),
        "functions": len(defs),
        "largest_functions": [{"name": d["name"], "module": d["module"], "lines": d["lines"]} for d in big_defs],
        "imports": graph_figures(top, modules),
        "helpers": helper_copies(defs, top),
        "sha256_call_sites": sha256_call_sites(modules),
        "error_codes": error_codes(modules),
    }


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def fmt_chain(chain: list[list[str]], top: str) -> str:
    step = lambda c: short(c[0], top) if len(c) == 1 else "{" + ", ".join(short(n, top) for n in c) + "}"  # noqa: E731
    return " → ".join(step(c) for c in chain)


def fmt_cycle(edges: list[dict], top: str) -> str:
    return ", ".join(f"{short(e['from'], top)} → {short(e['to'], top)}" + (" (lazy)" if e["lazy"] else "")
                     for e in edges)


def rows(r: dict) -> list[tuple[str, str]]:
    top, g, h, e = r["package"], r["imports"], r["helpers"], r["error_codes"]
    out = [(f"modules in `{short(name, top)}`", f"{c['modules']}" + (" (+__init__)" if c["init"] else ""))
           for name, c in r["packages"].items()]
    out.append(("lines (all modules)", str(r["total_lines"])))
    m = r["largest_modules"]
    out.append(("largest module", f"`{m[0]['path']}` ({m[0]['lines']} lines)" if m else "—"))
    out.append((f"{TOP} largest modules", ", ".join(f"`{x['path']}` {x['lines']}" for x in m)))
    f = r["largest_functions"]
    fn = lambda x: f"`{short(x['module'], top)}:{x['name']}` {x['lines']}"  # noqa: E731
    out.append(("functions/methods", str(r["functions"])))
    out.append(("largest function", fn(f[0]) + " lines" if f else "—"))
    out.append((f"{TOP} largest functions", ", ".join(fn(x) for x in f)))
    out.append(("import graph: modules / edges", f"{g['modules']} / {g['edges']}"))
    lazy = ", ".join(f"{short(a, top)} → {short(b, top)}" for a, b in g["lazy_only_edges"])
    out.append(("lazy (function-level) imports", f"{g['lazy_import_statements']} statements; "
                f"{len(g['lazy_only_edges'])} edges only lazy" + (f": {lazy}" if lazy else "")))
    note = " (on the condensation DAG: each cycle is one step)" if g["depth_on_condensation"] else ""
    out.append(("longest import chain", f"{g['longest_chain_depth']}{note}: {fmt_chain(g['longest_chain'], top)}"))
    cycles = "; ".join(fmt_cycle(c, top) for c in g["cycle_edges"])
    out.append(("import cycles", f"{len(g['cycles'])}" + (f": {cycles}" if cycles else "")))
    cli = ", ".join(f"{short(x['module'], top)} → {short(x['imports'], top)}" + (" (lazy)" if x["lazy"] else "")
                    for x in g["cli_imported_by"])
    out.append(("non-CLI modules importing `cli`", f"{len(g['cli_imported_by'])}" + (f": {cli}" if cli else "")))
    labels = {"sha256": "sha256 helpers", "json_writer": "JSON-to-file writers",
              "bibtex": "BibTeX functions", "atomic_write": "atomic-write functions"}
    for kind, label in labels.items():
        where = ", ".join(f"`{w}`" for w in h[kind]["where"])
        out.append((label, f"{h[kind]['count']} in {plural(h[kind]['modules'], 'module')}" + (f": {where}" if where else "")))
        if kind == "sha256":
            c = r["sha256_call_sites"]
            out.append(("`hashlib.sha256` call sites", f"{c['calls']} in {plural(c['modules'], 'module')}"))
    out.append(("error codes (distinct / files)",
                f"{e['distinct']} ({e['errors']} E, {e['warnings']} W) in {e['files']} files"))
    return out


def escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def markdown(r: dict) -> str:
    lines = [f"Architecture of `{r['package']}`", "", "| figure | value |", "|---|---|"]
    lines += [f"| {k} | {escape(v)} |" for k, v in rows(r)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package_dir", type=Path, help="the package folder, e.g. corpus_builder")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args()
    root = args.package_dir.resolve()
    if not root.is_dir():
        parser.error(f"{args.package_dir} is not a folder")
    result = measure(root)
    if not args.json:
        print(markdown(result))
        print()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
