"""The project's one error type and the problem records that validation collects.

Every failure a user can cause is a :class:`CorpusError` carrying a code, the file,
a position (line/offset or JSON pointer), what was found, what was expected and
what to do next. The CLI prints these as single lines; tracebacks are for bugs.
Codes, their texts and exit classes live in :mod:`corpus_builder.catalogue`, whose
``problem()`` and ``error()`` build these records; nothing else spells a code.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Process exit codes shared by every command (documented in README.md)."""

    OK = 0
    INVALID_DATA = 1
    USAGE = 2
    INTERNAL = 3
    INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located precisely enough to fix it."""

    code: str
    message: str
    file: str | None = None
    position: str | None = None  # "line 3, column 5", "offset 120" or a JSON pointer
    op_id: str | None = None
    found: str | None = None
    expected: str | None = None
    hint: str | None = None
    severity: str = "error"  # "error" stops a build; "warning" is reported and recorded

    def format(self) -> str:
        where = self.file or ""
        if self.position:
            where += f" at {self.position}"
        parts = [f"[{self.code}] {where}:" if where else f"[{self.code}]"]
        if self.op_id:
            parts.append(f"op {self.op_id!r}:")
        parts.append(self.message)
        shown = [f"{k} {v!r}" for k, v in (("found", self.found), ("expected", self.expected)) if v is not None]
        if shown:
            parts.append(f"({', '.join(shown)})")
        text = " ".join(parts)
        if self.hint:
            text += f" -> {self.hint}"
        return one_line(text)


_CONTROLS = {c: repr(chr(c))[1:-1] for c in (*range(0x20), *range(0x7f, 0xa0), 0x2028, 0x2029)}


def one_line(text: str) -> str:
    """Control characters (a file named "doc\\n.txt") shown escaped: a message stays one line."""
    return text.translate(_CONTROLS)


class CorpusError(Exception):
    """A user-facing failure: one or more problems, never a bare traceback. ``warnings``
    found on the way are carried along, so the command line can still show them."""

    def __init__(self, problems: Problem | list[Problem], exit_code: ExitCode = ExitCode.INVALID_DATA,
                 warnings: list[Problem] | None = None):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.exit_code = exit_code
        self.warnings = list(warnings or [])
        super().__init__("\n".join(p.format() for p in self.problems))


def rel(path: Path | str) -> str:
    """A path as shown to users: relative to the working directory when possible."""
    p = Path(os.path.abspath(path))  # not resolve(): a symlink is shown as itself
    try:
        return str(p.relative_to(os.path.abspath(Path.cwd())))
    except ValueError:
        return str(path)


@contextmanager
def interrupts_held() -> Iterator[None]:
    """A Ctrl-C while a library is imported is raised when the import ends, never lost.
    Some libraries wrap imports in a bare ``except:`` (dill and multiprocess, which
    `datasets` imports, do): a KeyboardInterrupt there is swallowed, and the command ran
    on to exit 0. Only in the main thread with Python's own handler (pool workers ignore
    Ctrl-C, and keep doing so)."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield
        return
    held: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, _frame: held.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if held:
            raise KeyboardInterrupt
