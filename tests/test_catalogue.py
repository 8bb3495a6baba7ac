"""One error catalogue: every code raised is catalogued, every catalogued code is
raised, each call site passes exactly its template's fields, no code is spelled
outside the catalogue, and the docs list the codes as the catalogue generates them."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_builder.catalogue import CATALOGUE, ENTRIES, LOCATION, RANGES, WORDINGS, error, fields, problem
from corpus_builder.errors import ExitCode

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "corpus_builder"
CATALOGUE_FILE = PACKAGE / "catalogue.py"
CONSTRUCTORS = ("problem", "error")
ID = re.compile(r"[EW]\d{3}(:\w+)?")  # what a call site names: a code, or code:variant
MENTION = re.compile(r"\b[EW]\d{3}\b")  # a code in prose (docs, comments, messages)


def modules() -> list[tuple[str, ast.Module]]:
    """Every module of the package but the catalogue, parsed, with its path as shown."""
    return [(str(p.relative_to(ROOT)), ast.parse(p.read_text("utf-8")))
            for p in sorted(PACKAGE.rglob("*.py")) if p != CATALOGUE_FILE]


def constructor_calls(tree: ast.Module):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in CONSTRUCTORS:
                yield name, node


def call_sites() -> list[tuple[str, int, str, ast.Call]]:
    """(file, line, id, call) of every problem("...")/error("...") naming a code."""
    return [(file, call.lineno, call.args[0].value, call)
            for file, tree in modules() for _, call in constructor_calls(tree)
            if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)]


def test_call_sites_are_found():
    """The scan must see the package's call sites, or every test below passes vacuously."""
    sites = call_sites()
    assert len(sites) > 80
    assert {file for file, *_ in sites} >= {"corpus_builder/stages/ingest.py", "corpus_builder/annotation/check.py"}


def test_no_code_literal_outside_the_catalogue():
    """(a) A code is only ever spelled as the first argument of problem()/error()."""
    found = []
    for file, tree in modules():
        named = {id(call.args[0]) for _, call in constructor_calls(tree) if call.args}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and ID.fullmatch(node.value)
                    and id(node) not in named):
                found.append(f"{file}:{node.lineno}: code literal {node.value!r} outside problem()/error()")
    assert not found, "\n".join(found)


def test_every_code_used_is_catalogued():
    """(b)"""
    missing = [f"{file}:{line}: {code!r} is not in corpus_builder/catalogue.py"
               for file, line, code, _ in call_sites() if code not in WORDINGS]
    assert not missing, "\n".join(missing)


def test_every_catalogued_code_is_used():
    """(c) A wording nothing raises is dead (or its call site spells it wrongly)."""
    used = {code for *_, code, _ in call_sites()}
    unused = [f"corpus_builder/catalogue.py: {code} is catalogued but no call site in the package raises it"
              for code in WORDINGS if code not in used]
    assert not unused, "\n".join(unused)


def test_docs_errors_md_is_the_generated_one():
    """(d)"""
    generated = subprocess.run([sys.executable, "-m", "corpus_builder.catalogue"], cwd=ROOT, check=True,
                               capture_output=True).stdout
    assert (ROOT / "docs" / "errors.md").read_bytes() == generated, (
        "docs/errors.md differs from the catalogue: run `python -m corpus_builder.catalogue > docs/errors.md`")


def mentions(path: Path) -> list[tuple[int, str]]:
    return [(n, code) for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
            for code in MENTION.findall(line)]


def test_codes_in_the_docs_are_catalogued():
    """(e) README.md, docs/*.md and the schemas' descriptions name only catalogued codes."""
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "schema").glob("*.json"))]
    assert sum(len(mentions(p)) for p in paths) > 40
    wrong = [f"{p.relative_to(ROOT)}:{n}: mentions {code}, which is not in corpus_builder/catalogue.py"
             for p in paths for n, code in mentions(p) if code not in CATALOGUE]
    assert not wrong, "\n".join(wrong)


def test_codes_in_the_source_are_catalogued():
    """Comments, docstrings and report lines of the package name only catalogued codes too."""
    wrong = [f"{p.relative_to(ROOT)}:{n}: mentions {code}, which is not in corpus_builder/catalogue.py"
             for p in sorted(PACKAGE.rglob("*.py")) for n, code in mentions(p) if code not in CATALOGUE]
    assert not wrong, "\n".join(wrong)


def test_call_sites_pass_exactly_the_template_fields():
    """(f) A renamed, missing or extra field fails here, before a user meets the TypeError."""
    wrong = []
    for file, line, code, call in call_sites():
        if code not in WORDINGS:
            continue  # reported by test_every_code_used_is_catalogued
        keywords = {k.arg for k in call.keywords}
        if None in keywords:
            wrong.append(f"{file}:{line}: {code}: fields passed with ** cannot be checked; name them")
            continue
        given = keywords - set(LOCATION) - {"warnings"}
        wording = WORDINGS[code]
        wanted = fields(wording.message) | fields(wording.hint)
        if given != wanted:
            wrong.append(f"{file}:{line}: {code}: passes {sorted(given)}, its templates in "
                         f"corpus_builder/catalogue.py use {sorted(wanted)}")
    assert not wrong, "\n".join(wrong)


def test_every_constructor_call_can_be_checked():
    """A code the scan cannot read (a variable, an f-string) would escape (b), (c) and (f):
    only Op.problem may forward one, and error() of problems already built takes no fields."""
    wrong = []
    for file, tree in modules():
        forwarders = {id(c) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "problem"
                      for c in ast.walk(f) if isinstance(c, ast.Call)}
        for name, call in constructor_calls(tree):
            if call.args and isinstance(call.args[0], ast.Constant):
                continue
            if name == "problem" and id(call) not in forwarders:
                wrong.append(f"{file}:{call.lineno}: problem() with a code the test cannot read")
            if name == "error" and {k.arg for k in call.keywords} - {"warnings"}:
                wrong.append(f"{file}:{call.lineno}: error() of built problems with fields")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.code)
def test_entry_is_well_formed(entry):
    assert re.fullmatch(r"[EW]\d{3}", entry.code), entry.code
    assert entry.code[1] in RANGES, f"{entry.code}: no range title in catalogue.RANGES, so not in docs/errors.md"
    assert (entry.exit == ExitCode.OK) == (entry.severity == "warning"), f"{entry.code}: exit {entry.exit!r}"
    assert entry.when.strip(), f"{entry.code}: no `when`"
    texts = set()
    for code, w in entry.wordings().items():
        assert w.message.strip() and w.hint.strip(), f"{code}: a message and a hint on what to do next"
        assert "\n" not in w.message + w.hint, f"{code}: a problem is one line"
        assert not (fields(w.message) | fields(w.hint)) & set(LOCATION), f"{code}: a field named like a Problem field"
        assert (w.message, w.hint) not in texts, f"{code}: same text as another wording of {entry.code}"
        texts.add((w.message, w.hint))
    for name in entry.variants:
        assert name.isidentifier(), f"{entry.code}:{name}"


def test_codes_are_unique():
    codes = [e.code for e in ENTRIES]
    assert len(codes) == len(set(codes)) == len(CATALOGUE), sorted(c for c in codes if codes.count(c) > 1)


def test_problem_fills_templates_and_refuses_wrong_fields():
    p = problem("E106", file="seeds/huge.txt", length=3_279_999, limit=1_000_000)
    assert p.format() == ("[E106] seeds/huge.txt: document too long for the model (3,279,999 characters > "
                          "1,000,000) -> split the article into several files, or raise [model].max_length in corpus.toml")
    assert problem("W417", file="a.json").severity == "warning"
    with pytest.raises(TypeError, match="limit"):
        problem("E106", length=1)
    with pytest.raises(TypeError, match="extra"):
        problem("E106", length=1, limit=2, extra=3)
    with pytest.raises(KeyError):
        problem("E999")
    with pytest.raises(KeyError):
        problem("E106:nope", length=1, limit=2)


def test_error_takes_the_highest_exit_class():
    assert error("E001", file="corpus.toml").exit_code == ExitCode.USAGE
    assert error("E102", file="a.txt").exit_code == ExitCode.INVALID_DATA
    both = [problem("E102", file="a.txt"), problem("E904", file="a.txt", error_type="X", error="y")]
    assert error(both).exit_code == ExitCode.INTERNAL
    with pytest.raises(ValueError):
        error([problem("W417", file="a.json")])
    with pytest.raises(TypeError):
        error(both, file="a.txt")
