"""Bad tool files (issue 13, item 6): one line each with file, position and fix, exit 1,
and no overlay file touched. ``python tests/test_tools_errors.py`` prints the table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import DOC_002, cli, copy_project, tool_export, tree_digest

EMOJI = "emoji_doc"
EMOJI_TEXT = "Talks \U0001F600 resume\n\nBan Ki-moon met officials in Cairo on Monday. Hamas and Israel agreed.\n"


def _ls(mutate):
    return ("labelstudio", mutate)


def _first_result(data):
    return next(t for t in data if t["data"]["doc_id"] == DOC_002)["annotations"][0]["result"]


def text_differs(data):
    t = next(t for t in data if t["data"]["doc_id"] == DOC_002)
    t["data"]["text"] = t["data"]["text"].replace("Kerry", "Kery", 1)


def outside(data):
    _first_result(data)[0]["value"].update(start=99990, end=99995)


def overlapping(data):
    t = next(t for t in data if t["data"]["doc_id"] == DOC_002)
    r = t["annotations"][0]["result"]
    start, end = r[0]["value"]["start"], r[1]["value"]["end"]  # from the first entity to the end of the second
    r.append({"id": "dup", "from_name": "label", "to_name": "text", "type": "labels",
              "value": {"start": start, "end": end, "text": t["data"]["text"][start:end], "labels": ["ORG"]}})


def bad_label(data):
    _first_result(data)[0]["value"]["labels"] = ["WEAPON"]


def unknown_doc(data):
    next(t for t in data if t["data"]["doc_id"] == DOC_002)["data"]["doc_id"] = "999_no_such_doc"


def other_project(data):
    for t in data:
        t["data"]["corpus"] = "someone-elses-corpus"


def quote_mismatch(data):
    _first_result(data)[0]["value"]["text"] = "Jerusalem"


def utf16_in_codepoints(rows):
    from corpus_builder.tools.offsets import utf16_offset
    for r in rows:
        for s in r["spans"]:
            s["start"], s["end"] = utf16_offset(r["text"], s["start"]), utf16_offset(r["text"], s["end"])


def twice(data):
    data.append(json.loads(json.dumps(data[0])))


def not_on_tokens(rows):
    r = next(r for r in rows if r["meta"]["doc_id"] == DOC_002)
    r["spans"].append({"start": 1400, "end": 1403, "label": "ORG"})


# case: (tool, damage, docs in the tasks, code the command must print)
CASES = {
    "task text differs from ours": ("labelstudio", text_differs, [DOC_002], "E472"),
    "span outside the text": ("labelstudio", outside, [DOC_002], "E473"),
    "overlapping spans": ("labelstudio", overlapping, [DOC_002], "E474"),
    "label outside the corpus's set": ("labelstudio", bad_label, [DOC_002], "E475"),
    "unknown document": ("labelstudio", unknown_doc, [DOC_002], "E471"),
    "export from another project": ("labelstudio", other_project, [DOC_002], "E476"),
    "UTF-16 offsets in a file claiming code points": ("prodigy", utf16_in_codepoints, [EMOJI], "E477"),
    "quote not at the span's offsets": ("labelstudio", quote_mismatch, [DOC_002], "E478"),
    "span cutting a token": ("prodigy", not_on_tokens, [DOC_002], "E479"),
    "a document twice": ("labelstudio", twice, [DOC_002], "E482"),
}


@pytest.fixture(scope="module")
def bad_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("bad") / "project")
    (root / "seeds" / f"{EMOJI}.txt").write_text(EMOJI_TEXT, encoding="utf-8")
    return root


def make_export(root: Path, tmp: Path, tool: str, damage, docs: list[str]) -> Path:
    tasks = tmp / f"tasks-{tool}"
    if not tasks.exists():
        done = cli("tasks", "--tool", tool, "--docs", ",".join(docs), "--out", str(tasks), cwd=root)
        assert done.returncode == 0, done.stderr
    return tool_export(tool, tasks, tmp / "export", mutate=damage)


def run_case(root: Path, tmp: Path, name: str):
    tool, damage, docs, code = CASES[name]
    export = make_export(root, tmp, tool, damage, docs)
    before = tree_digest(root / "annotations")
    done = cli("import", str(export), "--tool", tool, "--annotator", "maintainer-a", "--mode", "revise", cwd=root)
    assert tree_digest(root / "annotations") == before  # no overlay file touched
    return done, code


@pytest.mark.parametrize("name", list(CASES))
def test_bad_tool_file(bad_project, tmp_path, name):
    done, code = run_case(bad_project, tmp_path, name)
    lines = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert done.returncode == 1, done.stderr
    assert lines and all(f"[{code}]" in x for x in lines), done.stderr
    assert " at " in lines[0] and " -> " in lines[0]  # file, position and what to do
    assert "Traceback" not in done.stderr


def test_unreadable_export_and_missing_path(bad_project, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    done = cli("import", str(junk), "--tool", "labelstudio", "--annotator", "maintainer-a", cwd=bad_project)
    assert done.returncode == 1 and "[E470]" in done.stderr
    done = cli("import", str(tmp_path / "nope.json"), "--tool", "labelstudio", "--annotator", "maintainer-a",
               cwd=bad_project)
    assert done.returncode == 2 and "[E480]" in done.stderr


def test_unknown_annotator_and_unannotated_task(bad_project, tmp_path):
    def unsubmitted(data):
        for t in data:
            t["annotations"] = []
    export = make_export(bad_project, tmp_path, "labelstudio", unsubmitted, [DOC_002])
    done = cli("import", str(export), "--tool", "labelstudio", "--annotator", "maintainer-a", "--mode", "revise",
               cwd=bad_project)
    assert done.returncode == 0 and "[W470]" in done.stderr and "0 new ops" in done.stdout
    done = cli("import", str(export), "--tool", "labelstudio", "--annotator", "nobody", cwd=bad_project)
    assert done.returncode == 1 and "[E406]" in done.stderr


def test_show_unknown_document_and_layer(bad_project):
    done = cli("show", "999_none", cwd=bad_project)
    assert done.returncode == 2 and "[E481]" in done.stderr
    done = cli("show", DOC_002, "--layer", "nobody", cwd=bad_project)
    assert done.returncode == 2 and "[E481]" in done.stderr and "unknown layer" in done.stderr
    done = cli("show", DOC_002, "--layer", "model", "--format", "tsv", cwd=bad_project)
    assert done.returncode == 0 and "\tmodel\t" in done.stdout and "\tmanual\t" not in done.stdout
    done = cli("show", DOC_002, "--layer", "maintainer-a", "--format", "json", cwd=bad_project)
    assert done.returncode == 0 and json.loads(done.stdout)["layer"] == "maintainer-a"


if __name__ == "__main__":  # the table for the closing note
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        root = copy_project(tmp / "project")
        (root / "seeds" / f"{EMOJI}.txt").write_text(EMOJI_TEXT, encoding="utf-8")
        print("| bad tool file | command | exit | message |\n|---|---|---|---|")
        for i, name in enumerate(CASES):
            case_tmp = tmp / f"case{i}"
            case_tmp.mkdir()
            done, _ = run_case(root, case_tmp, name)
            tool = CASES[name][0]
            msg = next((x for x in done.stderr.splitlines() if x.startswith("error:")), done.stderr.strip())
            print(f"| {name} | `corpus-builder import export --tool {tool} --annotator maintainer-a --mode revise` "
                  f"| {done.returncode} | `{msg.replace('|', '/')}` |")
        sys.exit(0)
