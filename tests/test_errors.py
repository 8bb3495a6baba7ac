"""Messages are consistent: every problem the package can raise says what to do next."""

import ast
from pathlib import Path

from corpus_builder.errors import ExitCode, Problem

PACKAGE = Path(__file__).resolve().parents[1] / "corpus_builder"


def problem_calls():
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in ("Problem", "problem"):
                    yield path.name, node


def test_every_problem_has_a_code_and_a_hint():
    calls = list(problem_calls())
    assert len(calls) > 40
    for file, call in calls:
        keywords = {k.arg for k in call.keywords}
        if None in keywords:
            continue  # Op.problem forwarding **kw: its callers are checked themselves
        assert "hint" in keywords, f"{file}:{call.lineno}: problem without a hint on what to do next"
        code = call.args[0]
        assert isinstance(code, ast.Constant) and code.value[0] in "EW" and len(code.value) == 4, f"{file}:{call.lineno}"


def test_format_is_one_line_with_location_and_advice():
    p = Problem("E414", "quote does not match", file="a.json", position="/ops/0/quote", op_id="op-1",
                found="Gaza", expected="Gaza Strip", hint="fix it")
    assert p.format() == ("[E414] a.json at /ops/0/quote: op 'op-1': quote does not match "
                          "(found 'Gaza', expected 'Gaza Strip') -> fix it")
    assert "\n" not in p.format()


def test_exit_codes_are_the_documented_ones():
    readme = (PACKAGE.parent / "README.md").read_text("utf-8")
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3]
    for code in ExitCode:
        assert f"| {int(code)} |" in readme
