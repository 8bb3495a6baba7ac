"""A real Label Studio in the loop (issue 13): runs scripts/labelstudio_roundtrip.py
when `make test` has created .venv-labelstudio; otherwise skips, saying why."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT

LS_PYTHON = ROOT / ".venv-labelstudio" / "bin" / "python"


def test_label_studio_round_trip():
    if not LS_PYTHON.exists():
        reason = f"{LS_PYTHON} is missing: `make .venv-labelstudio/.installed` (part of `make test`) creates it"
        print(reason)
        pytest.skip(reason)
    done = subprocess.run([str(LS_PYTHON), str(ROOT / "scripts" / "labelstudio_roundtrip.py"),
                           "--corpus-python", sys.executable], capture_output=True, text=True, timeout=900)
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "label studio: 1.23.2" in out
    assert "tasks imported: 1" in out and "annotation submitted:" in out
    assert "3 new ops, 1 files written" in out
    assert "{'added': 1, 'removed': 1, 'relabelled': 1, 'resized': 0}" in out and "credited to labelstudio-user-" in out
    assert "server stop" in out and out.rstrip().endswith("ok")
