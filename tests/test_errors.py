"""The one-line message format and the exit codes (the catalogue itself: test_catalogue.py)."""

import os
import signal
import time
from pathlib import Path

import pytest

from corpus_builder.errors import ExitCode, Problem, interrupts_held

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


def _swallowing_import() -> str:
    """What dill and multiprocess do around an import: a bare except."""
    try:
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while the library is importing
        time.sleep(0.05)  # (Python runs the handler at the next instruction)
    except:  # noqa: E722
        return "swallowed"
    return "imported"


@pytest.fixture()
def python_sigint():
    """Python's own Ctrl-C handler, as a command has it (a test runner may have another)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_during_an_import_is_raised_after_it_not_lost(python_sigint):
    assert _swallowing_import() == "swallowed"  # what happens without the guard: the interrupt is gone
    with pytest.raises(KeyboardInterrupt):
        with interrupts_held():
            assert _swallowing_import() == "imported"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_without_a_ctrl_c_or_where_it_is_ignored_nothing_changes(python_sigint):
    with interrupts_held():
        pass
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a pool worker: Ctrl-C is the build's
    try:
        with interrupts_held():
            assert _swallowing_import() == "imported"
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
