"""``corpus-builder`` command line: one module per command, each a thin typer
wrapper (``*_cli``) over a plain function that tests call directly."""

from __future__ import annotations

import os
import sys

from typer.exceptions import TyperException

from ..errors import CorpusError, ExitCode
from ._app import app
from . import agreement, browse, build, diff, evaluate, export, import_, init, publish, rebase, release, report, show, tasks, validate, verify  # noqa: F401  (register commands)


def main() -> None:
    """Entry point: user errors become one line each and an exit code, never a traceback."""
    sys.stderr.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    try:
        status = app(standalone_mode=False)  # typer returns 130 for Ctrl-C, n for typer.Exit(n)
    except CorpusError as exc:
        for warning in exc.warnings:
            print(f"warning: {warning.format()}", file=sys.stderr)
        for problem in exc.problems:
            print(f"error: {problem.format()}", file=sys.stderr)
        if len(exc.problems) > 1:
            print(f"{len(exc.problems)} problems found.", file=sys.stderr)
        sys.exit(int(exc.exit_code))
    except SystemExit:
        raise
    except TyperException as exc:  # usage errors from the command-line parser
        exc.show()
        sys.exit(int(ExitCode.USAGE))
    except KeyboardInterrupt:  # raised outside typer's own handler (e.g. while importing)
        _interrupted()
    except Exception as exc:  # a bug: say so plainly, keep the traceback for debugging
        if os.environ.get("CORPUS_BUILDER_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} -> this is a bug; rerun with "
              "CORPUS_BUILDER_DEBUG=1 for the traceback and report it", file=sys.stderr)
        sys.exit(int(ExitCode.INTERNAL))
    if status == ExitCode.INTERRUPTED:
        _interrupted()
    if isinstance(status, int) and status:
        sys.exit(status)


def _interrupted() -> None:
    """Ctrl-C: the shell's convention (128 + SIGINT), so ``build && publish`` stops.
    The lock and the staging folder were released on the way here; ``os._exit`` skips
    multiprocessing's exit handlers, which wait forever on the queues of spaCy workers
    that the same Ctrl-C killed (``build --processes 2`` hung)."""
    print("interrupted (Ctrl-C): the command stopped before finishing -> run it again",
          file=sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(ExitCode.INTERRUPTED))
