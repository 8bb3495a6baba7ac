"""The real command line, started warm: a server that has imported the package and the
libraries its commands use forks one child per command, and the child runs
``python -m corpus_builder ARGS`` as that command would.

Each command is a real process of its own: its own working folder, environment,
stdout and stderr (files), exit status; its atexit handlers and interpreter shutdown
run as in a cold start. Only the imports (about 1.5 s a command) are shared. What
must show a cold start (which modules a command imports, byte-identical output from
another process with another hash seed, signals, kills) keeps using ``subprocess``.

Protocol (one server per pytest worker): a JSON request per line on the server's
stdin; it answers a line with the child's pid, then a line with its exit code.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


class WarmCLI:
    """The client side: ``run`` is ``subprocess.run([python, -m, corpus_builder, *args])``."""

    def __init__(self, prefix: tuple[str, ...] = ()):
        self.prefix = prefix
        self.proc: subprocess.Popen | None = None

    def _server(self) -> subprocess.Popen:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([*self.prefix, sys.executable, str(HERE / "cli_server.py")],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                         env={**os.environ, "PYTHONPATH": str(HERE.parent)})
        return self.proc

    def run(self, args: tuple[str, ...] | list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
        server = self._server()
        assert server.stdin is not None and server.stdout is not None
        with tempfile.TemporaryDirectory(prefix="warm-cli-") as tmp:
            out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
            request = {"args": list(args), "cwd": str(cwd), "env": dict(os.environ), "stdout": str(out),
                       "stderr": str(err)}
            server.stdin.write(json.dumps(request) + "\n")
            server.stdin.flush()
            pid = int(self._line(server, 30))
            try:
                code = int(self._line(server, timeout))
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self._line(server, 30)
                raise
            argv = [sys.executable, "-m", "corpus_builder", *args]
            return subprocess.CompletedProcess(argv, code, out.read_text("utf-8", "replace"),
                                               err.read_text("utf-8", "replace"))

    @staticmethod
    def _line(server: subprocess.Popen, timeout: float) -> str:
        assert server.stdout is not None
        if not select.select([server.stdout], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired(server.args, timeout)
        line = server.stdout.readline()
        if not line:
            raise RuntimeError(f"the warm command-line server died (exit {server.wait()})")
        return line

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(30)


def _serve() -> dict[str, Any]:
    """The server's loop; returns (in a forked child only) the request the child runs."""
    while True:
        line = sys.stdin.readline()
        if not line:
            os._exit(0)
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            return request
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(f"{os.waitstatus_to_exitcode(status)}\n")
        sys.stdout.flush()


def _become(request: dict[str, Any]) -> None:
    """The child: the command's own stdin (none), stdout, stderr, folder, environment, argv."""
    fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(fd, 0)
    os.close(fd)
    for target, path in ((1, request["stdout"]), (2, request["stderr"])):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = [sys.executable, *request["args"]]
    sys.path[0] = request["cwd"]


if __name__ == "__main__":
    sys.path.pop(0)  # this folder: the command sees the package as `python -m` does
    import runpy

    import corpus_builder.cli  # noqa: F401  what every command imports
    import datasets  # noqa: F401  (building, loading, verifying)
    import jinja2  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    _become(_serve())
    runpy.run_module("corpus_builder", run_name="__main__", alter_sys=True)
