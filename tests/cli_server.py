"""The real command line, started warm: a server that has imported the package and the
libraries its commands use forks one child per command, and the child runs
``python -m corpus_builder ARGS`` as that command would.

Each command is a real process of its own: its own working folder, environment,
stdout and stderr (files), exit status, pid to signal or kill; its atexit handlers and
interpreter shutdown run as in a cold start. Only the imports (about 2.5 s a command
that loads the model) are shared. What must show a cold start (which modules a
command imports, byte-identical output from another process with another hash seed,
a signal that lands during the imports) keeps using ``subprocess``. The kill loops
(``benchmarks/kill_loop.py --warm``) start their commands here.

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


class WarmProcess:
    """One command the server forked, as a :class:`subprocess.Popen` of it would be seen:
    ``pid``, ``poll``, ``wait``, ``send_signal``, ``returncode``, and ``stderr`` (a file
    object of the command's stderr, read once it ended)."""

    def __init__(self, server: subprocess.Popen, pid: int, args: list[str], tmp: tempfile.TemporaryDirectory):
        self.server, self.pid, self.args, self.tmp = server, pid, args, tmp
        self.returncode: int | None = None
        self.stderr = (Path(tmp.name) / "stderr").open("rb")

    def poll(self) -> int | None:
        if self.returncode is None and _ready(self.server, 0):
            self.returncode = int(_line(self.server, 0))
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            try:
                self.returncode = int(_line(self.server, 1e9 if timeout is None else timeout))
            except subprocess.TimeoutExpired:
                raise subprocess.TimeoutExpired(self.args, timeout) from None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """As ``Popen.send_signal``: a command that ended since the last poll is not an error
        (the kill loop lost a run to this race: ProcessLookupError)."""
        if self.returncode is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[bytes, bytes]:
        """(stdout, stderr) once it ended; then its files are removed."""
        self.wait(timeout)
        out = (Path(self.tmp.name) / "stdout").read_bytes()
        err = self.stderr.read()
        self.stderr.close()
        self.tmp.cleanup()
        return out, err


class WarmCLI:
    """The client side: ``run`` is ``subprocess.run([python, -m, corpus_builder, *args])``,
    ``start`` its ``Popen``. ``env``: the server's environment (its imports follow its
    ``PYTHONPATH``), else this process's with this checkout first."""

    def __init__(self, prefix: tuple[str, ...] = (), env: dict[str, str] | None = None):
        self.prefix = prefix
        self.env = env if env is not None else {**os.environ, "PYTHONPATH": str(HERE.parent)}
        self.proc: subprocess.Popen | None = None
        self.current: WarmProcess | None = None

    def _server(self) -> subprocess.Popen:
        if self.proc is None or self.proc.poll() is not None:
            self.proc = subprocess.Popen([*self.prefix, sys.executable, str(HERE / "cli_server.py")],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env, bufsize=0)
        return self.proc

    def start(self, args: tuple[str, ...] | list[str], cwd: Path, env: dict[str, str] | None = None) -> WarmProcess:
        """Fork the command (one at a time: the previous one must have ended)."""
        assert self.current is None or self.current.returncode is not None, "the previous command still runs"
        server = self._server()
        assert server.stdin is not None
        tmp = tempfile.TemporaryDirectory(prefix="warm-cli-")
        out, err = Path(tmp.name) / "stdout", Path(tmp.name) / "stderr"
        out.touch(0o600)
        err.touch(0o600)
        request = {"args": list(args), "cwd": str(cwd), "env": dict(os.environ if env is None else env),
                   "stdout": str(out), "stderr": str(err)}
        server.stdin.write((json.dumps(request) + "\n").encode())
        argv = [sys.executable, "-m", "corpus_builder", *args]
        self.current = WarmProcess(server, int(_line(server, 30)), argv, tmp)
        return self.current

    def run(self, args: tuple[str, ...] | list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
        proc = self.start(args, cwd)
        try:
            out, err = proc.communicate(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(30)
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode("utf-8", "replace"),
                                           err.decode("utf-8", "replace"))

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(30)


def _ready(server: subprocess.Popen, timeout: float) -> bool:
    assert server.stdout is not None
    return bool(select.select([server.stdout], [], [], timeout)[0])


def _line(server: subprocess.Popen, timeout: float) -> str:
    """The server's next line, read a byte at a time: nothing is buffered past it, so
    ``select`` tells whether the next one is there."""
    assert server.stdout is not None
    fd = server.stdout.fileno()
    line = b""
    while not line.endswith(b"\n"):
        if not _ready(server, timeout):
            raise subprocess.TimeoutExpired(server.args, timeout)
        byte = os.read(fd, 1)
        if not byte:
            raise RuntimeError(f"the warm command-line server died (exit {server.wait()})")
        line += byte
    return line.decode()


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
    import spacy  # noqa: F401  (every build that is not fully cached)

    # as a fork server should: what the imports made is kept out of the children's
    # collections, which would otherwise write to, and so copy, every page of it (a
    # command's exit took 0.6 s longer); a build leaves it frozen (executors.StreamingGC)
    import gc

    gc.freeze()
    _become(_serve())
    runpy.run_module("corpus_builder", run_name="__main__", alter_sys=True)
