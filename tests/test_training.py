"""The card's "How to train" commands work as written: the spaCy ones run end to end
(export, init config, a short train, evaluate on the test split), and the transformers
command's dataset argument is the release that run_ner.py's own logic reads."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from test_loading import RUN_NER, output

from corpus_builder.release.rows import iob_names

SHORT = ["--training.max_steps", "100", "--training.eval_frequency", "50"]  # a smoke test, not a model


def training_blocks(card: str) -> list[str]:
    section = card.split("### How to train", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def argv(words: list[str]) -> list[str]:
    head = {"corpus-builder": [sys.executable, "-m", "corpus_builder"], "python": [sys.executable]}[words[0]]
    return head + words[1:]


def test_the_cards_spacy_commands_train_and_evaluate(fresh_build, tmp_path: Path):
    release = fresh_build.release
    spacy_block, transformers_block = training_blocks((release / "README.md").read_text("utf-8"))
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / release.name).symlink_to(release)  # the commands run from a repository root
    outputs = []
    for line in spacy_block.strip().splitlines():
        words = shlex.split(line)
        extra = SHORT if words[:4] == ["python", "-m", "spacy", "train"] else []
        t = time.monotonic()
        result = subprocess.run(argv(words) + extra, cwd=tmp_path, capture_output=True, text=True,
                                env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"})
        assert result.returncode == 0, f"{line}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        outputs.append((line, result.stdout, time.monotonic() - t))
    assert (tmp_path / "model" / "model-best" / "meta.json").is_file()
    train = next(o for o in outputs if " train " in o[0])
    steps = [int(m[1]) for m in re.finditer(r"^\s*\d+\s+(\d+)\s+[\d.]+\s+[\d.]+", train[1], re.M)]
    assert steps[-1] == 100, train[1]
    evaluated = outputs[-1][1]
    micro = re.search(r"^\| \*\*micro\*\* \| ([\d.]+) \[.*?\] \| ([\d.]+) \[.*?\] \| ([\d.]+) (\[[\d., ]+\])", evaluated, re.M)
    assert micro, evaluated
    print(f"\nspacy train: {steps[-1]} steps in {train[2]:.1f} s; corpus-builder evaluate on test: "
          f"micro P {micro[1]} R {micro[2]} F1 {micro[3]} {micro[4]}")


def test_the_cards_transformers_command_reads_the_release(fresh_build):
    release = fresh_build.release
    _, transformers_block = training_blocks((release / "README.md").read_text("utf-8"))
    words = shlex.split(transformers_block.strip())
    assert words[:2] == ["python", "run_ner.py"]
    dataset = words[words.index("--dataset_name") + 1]
    assert dataset == f"dist/{release.name}"
    # no config or column name: run_ner.py must find them on its own
    assert not {"--dataset_config_name", "--text_column_name", "--label_column_name"} & set(words)
    out = output(Path(sys.executable), RUN_NER, release)
    manifest = json.loads((release / "manifest.json").read_text("utf-8"))
    assert (out["text"], out["label"], out["int"]) == ("tokens", "ner_tags", True)
    assert out["labels"] == iob_names(manifest["model"]["labels"])
