"""The one-line message format and the exit codes (the catalogue itself: test_catalogue.py)."""

from pathlib import Path

from corpus_builder.errors import ExitCode, Problem

PACKAGE = Path(__file__).resolve().parents[1] / "corpus_builder"


def test_format_is_one_line_with_location_and_advice():
    p = Problem("E414", "quote does not match", file="a.json", position="/ops/0/quote", op_id="op-1",
                found="Gaza", expected="Gaza Strip", hint="fix it")
    assert p.format() == ("[E414] a.json at /ops/0/quote: op 'op-1': quote does not match "
                          "(found 'Gaza', expected 'Gaza Strip') -> fix it")
    assert "\n" not in p.format()


def test_exit_codes_are_the_documented_ones():
    readme = (PACKAGE.parent / "README.md").read_text("utf-8")
    assert [int(c) for c in ExitCode] == [0, 1, 2, 3, 130]
    for code in ExitCode:
        assert f"| {int(code)} |" in readme
