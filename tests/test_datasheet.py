"""DATASHEET.md answers every question of "Datasheets for Datasets" and agrees with the release.

The reference is the question list of the paper's journal version: T. Gebru, J. Morgenstern,
B. Vecchione, J. Wortman Vaughan, H. Wallach, H. Daumé III, K. Crawford, "Datasheets for
Datasets", Communications of the ACM 64(12):86-92, 2021 (doi:10.1145/3458723). It numbers
57 questions, 1-57, in seven sections: Motivation 4, Composition 16, Collection Process 12,
Preprocessing/cleaning/labeling 4, Uses 6, Distribution 7, Maintenance 8; each section ends
with "Any other comments?". Compared with arXiv:1803.09010 v7, the journal version has no
numbered "Does the dataset relate to people?" question (v7 asks it in Composition and in
Collection Process as a gate), which is why it has 57 rather than 59. CANONICAL holds each
question in the paper's wording (its "for example" parentheses included) without the
instructions that follow it ("If so, please provide a description.", conditional
follow-ups); the datasheet answers those in the answer text. A question line must give the
paper's question sentences; the parenthesised examples may be shortened or left out.

DATASHEET.md is generated from corpus_builder/release/templates/datasheet.md.j2. Each question is a
line `**<section>.<n> <question>**`, followed by its answer paragraphs up to the next
question or heading. Run with `pytest -s` to see "datasheet: 57/57 questions answered".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATASHEET = ROOT / "DATASHEET.md"

CANONICAL: list[tuple[str, list[str]]] = [
    ("Motivation", [
        "For what purpose was the dataset created? Was there a specific task in mind? Was there a specific gap "
        "that needed to be filled?",
        "Who created the dataset (for example, which team, research group) and on behalf of which entity "
        "(for example, company, institution, organization)?",
        "Who funded the creation of the dataset?",
        "Any other comments?",
    ]),
    ("Composition", [
        "What do the instances that comprise the dataset represent (for example, documents, photos, people, "
        "countries)? Are there multiple types of instances (for example, movies, users, and ratings; people and "
        "interactions between them; nodes and edges)?",
        "How many instances are there in total (of each type, if appropriate)?",
        "Does the dataset contain all possible instances or is it a sample (not necessarily random) of instances "
        "from a larger set?",
        "What data does each instance consist of? \"Raw\" data (for example, unprocessed text or images) or "
        "features?",
        "Is there a label or target associated with each instance?",
        "Is any information missing from individual instances?",
        "Are relationships between individual instances made explicit (for example, users' movie ratings, social "
        "network links)?",
        "Are there recommended data splits (for example, training, development/validation, testing)?",
        "Are there any errors, sources of noise, or redundancies in the dataset?",
        "Is the dataset self-contained, or does it link to or otherwise rely on external resources (for example, "
        "websites, tweets, other datasets)?",
        "Does the dataset contain data that might be considered confidential (for example, data that is protected "
        "by legal privilege or by doctor–patient confidentiality, data that includes the content of individuals' "
        "non-public communications)?",
        "Does the dataset contain data that, if viewed directly, might be offensive, insulting, threatening, or "
        "might otherwise cause anxiety?",
        "Does the dataset identify any subpopulations (for example, by age, gender)?",
        "Is it possible to identify individuals (that is, one or more natural persons), either directly or "
        "indirectly (that is, in combination with other data) from the dataset?",
        "Does the dataset contain data that might be considered sensitive in any way (for example, data that "
        "reveals race or ethnic origins, sexual orientations, religious beliefs, political opinions or union "
        "memberships, or locations; financial or health data; biometric or genetic data; forms of government "
        "identification, such as social security numbers; criminal history)?",
        "Any other comments?",
    ]),
    ("Collection Process", [
        "How was the data associated with each instance acquired? Was the data directly observable (for example, "
        "raw text, movie ratings), reported by subjects (for example, survey responses), or indirectly "
        "inferred/derived from other data (for example, part-of-speech tags, model-based guesses for age or "
        "language)?",
        "What mechanisms or procedures were used to collect the data (for example, hardware apparatuses or "
        "sensors, manual human curation, software programs, software APIs)? How were these mechanisms or "
        "procedures validated?",
        "If the dataset is a sample from a larger set, what was the sampling strategy (for example, "
        "deterministic, probabilistic with specific sampling probabilities)?",
        "Who was involved in the data collection process (for example, students, crowdworkers, contractors) and "
        "how were they compensated (for example, how much were crowdworkers paid)?",
        "Over what timeframe was the data collected? Does this timeframe match the creation timeframe of the data "
        "associated with the instances (for example, recent crawl of old news articles)?",
        "Were any ethical review processes conducted (for example, by an institutional review board)?",
        "Did you collect the data from the individuals in question directly, or obtain it via third parties or "
        "other sources (for example, websites)?",
        "Were the individuals in question notified about the data collection?",
        "Did the individuals in question consent to the collection and use of their data?",
        "If consent was obtained, were the consenting individuals provided with a mechanism to revoke their "
        "consent in the future or for certain uses?",
        "Has an analysis of the potential impact of the dataset and its use on data subjects (for example, a data "
        "protection impact analysis) been conducted?",
        "Any other comments?",
    ]),
    ("Preprocessing/Cleaning/Labeling", [
        "Was any preprocessing/cleaning/labeling of the data done (for example, discretization or bucketing, "
        "tokenization, part-of-speech tagging, SIFT feature extraction, removal of instances, processing of "
        "missing values)?",
        "Was the \"raw\" data saved in addition to the preprocessed/cleaned/labeled data (for example, to support "
        "unanticipated future uses)?",
        "Is the software that was used to preprocess/clean/label the data available?",
        "Any other comments?",
    ]),
    ("Uses", [
        "Has the dataset been used for any tasks already?",
        "Is there a repository that links to any or all papers or systems that use the dataset?",
        "What (other) tasks could the dataset be used for?",
        "Is there anything about the composition of the dataset or the way it was collected and "
        "preprocessed/cleaned/labeled that might impact future uses?",
        "Are there tasks for which the dataset should not be used?",
        "Any other comments?",
    ]),
    ("Distribution", [
        "Will the dataset be distributed to third parties outside of the entity (for example, company, "
        "institution, organization) on behalf of which the dataset was created?",
        "How will the dataset be distributed (for example, tarball on website, API, GitHub)? Does the dataset "
        "have a digital object identifier (DOI)?",
        "When will the dataset be distributed?",
        "Will the dataset be distributed under a copyright or other intellectual property (IP) license, and/or "
        "under applicable terms of use (ToU)?",
        "Have any third parties imposed IP-based or other restrictions on the data associated with the "
        "instances?",
        "Do any export controls or other regulatory restrictions apply to the dataset or to individual "
        "instances?",
        "Any other comments?",
    ]),
    ("Maintenance", [
        "Who will be supporting/hosting/maintaining the dataset?",
        "How can the owner/curator/manager of the dataset be contacted (for example, email address)?",
        "Is there an erratum?",
        "Will the dataset be updated (for example, to correct labeling errors, add new instances, delete "
        "instances)?",
        "If the dataset relates to people, are there applicable limits on the retention of the data associated "
        "with the instances (for example, were the individuals in question told that their data would be "
        "retained for a fixed period of time and then deleted)?",
        "Will older versions of the dataset continue to be supported/hosted/maintained?",
        "If others want to extend/augment/build on/contribute to the dataset, is there a mechanism for them to do "
        "so?",
        "Any other comments?",
    ]),
]
TOTAL = sum(len(qs) for _, qs in CANONICAL)

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
QUESTION = re.compile(r"^\*\*(\d+)\.(\d+)\s+(.+?)\*\*\s*$")
# An answer that is nothing but a placeholder, and placeholder text anywhere in an answer.
PLACEHOLDER_ANSWER = re.compile(
    r"^(?:tbd|todo|n/?a|-+|—|\.{2,}|…|xxx+|\[more information needed\]|your answer here)[.!]?$", re.I)
PLACEHOLDER_TEXT = re.compile(
    r"\bTBD\b|\bTODO\b|\bXXX\b|\[More Information Needed\]|Your Answer Here|lorem ipsum|\{\{|\}\}|\{%|%\}", re.I)


def norm(text: str) -> str:
    """Compare question texts up to their parenthesised examples, case, quote and dash style and spacing."""
    for a, b in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("–", "-"), ("—", "-")):
        text = text.replace(a, b)
    text = re.sub(r"\s*\([^()]*\)", "", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def parse(text: str) -> tuple[list[str], list[dict]]:
    """Level-2 headings, and every numbered question with its section heading and answer."""
    sections: list[str] = []
    questions: list[dict] = []
    current: dict | None = None
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else HEADING.match(line)
        question = None if fenced else QUESTION.match(line)
        if heading or question:
            current = None
        if heading and len(heading.group(1)) == 2:
            sections.append(heading.group(2))
        if question:
            current = {"section": sections[-1] if sections else None, "major": int(question.group(1)),
                       "minor": int(question.group(2)), "text": question.group(3), "answer": []}
            questions.append(current)
        elif current is not None and not heading:
            current["answer"].append(line)
    for q in questions:
        q["answer"] = "\n".join(q["answer"]).strip()
    return sections, questions


def answer_problem(answer: str) -> str | None:
    if not re.search(r"\w", answer):
        return "no answer"
    if PLACEHOLDER_ANSWER.match(answer.strip()):
        return f"placeholder answer {answer.strip()!r}"
    if any(PLACEHOLDER_ANSWER.match(line.strip()) for line in answer.splitlines() if line.strip()):
        return "a placeholder line in the answer"
    m = PLACEHOLDER_TEXT.search(answer)
    if m:
        return f"placeholder text {m.group(0)!r}"
    return None


def datasheet() -> str:
    return DATASHEET.read_text(encoding="utf-8")


def by_number(questions: list[dict]) -> dict[str, dict]:
    return {f"{q['major']}.{q['minor']}": q for q in questions}


def test_datasheet_has_the_papers_seven_sections_in_order():
    sections, _ = parse(datasheet())
    assert sections == [f"{i}. {name}" for i, (name, _) in enumerate(CANONICAL, 1)]


def check_questions(questions: list[dict]) -> tuple[int, list[str]]:
    """How many of the paper's questions are asked and answered properly, and what is wrong."""
    expected = [(f"{i}.{n}", f"{i}. {name}", q) for i, (name, qs) in enumerate(CANONICAL, 1)
                for n, q in enumerate(qs, 1)]
    found: dict[str, dict] = {}
    problems = []
    for q in questions:
        number = f"{q['major']}.{q['minor']}"
        if number in found:
            problems.append(f"{number}: asked twice")
        found.setdefault(number, q)
    answered = 0
    for number, section, text in expected:
        got = found.get(number)
        if got is None:
            problem = f"missing ({text})"
        elif got["section"] != section:
            problem = f"under heading {got['section']!r}, not {section!r}"
        elif norm(got["text"]) != norm(text):
            problem = f"asks {got['text']!r}; the paper asks {text!r}"
        else:
            problem = answer_problem(got["answer"])
        if problem:
            problems.append(f"{number}: {problem}")
        else:
            answered += 1
    known = {number for number, _, _ in expected}
    problems += [f"{n}: not a question of the paper ({found[n]['text']})" for n in found if n not in known]
    order = [n for n in (f"{q['major']}.{q['minor']}" for q in questions) if n in known]
    if order != sorted(set(order), key=[number for number, _, _ in expected].index):
        problems.append(f"questions out of the paper's order: {', '.join(order)}")
    return answered, problems


def test_datasheet_answers_the_57_questions_of_the_paper_in_order():
    assert TOTAL == 57
    answered, problems = check_questions(parse(datasheet())[1])
    print(f"datasheet: {answered}/{TOTAL} questions answered")
    assert not problems, "\n".join(problems)
    assert answered == TOTAL


def test_the_check_finds_missing_and_placeholder_answers():
    lines = [f"## {i}. {name}\n" + "".join(f"\n**{i}.{n} {q}**\n\nAn answer.\n" for n, q in enumerate(qs, 1))
             for i, (name, qs) in enumerate(CANONICAL, 1)]
    good = "# Datasheet\n\n" + "\n".join(lines)
    assert check_questions(parse(good)[1]) == (TOTAL, [])
    for placeholder in ("TBD", "N/A", "...", "XXX", "[More Information Needed]", "", "TODO: write", "{{ counts.documents }}"):
        answered, problems = check_questions(parse(good.replace("An answer.", placeholder, 1))[1])
        assert answered == TOTAL - 1 and problems and problems[0].startswith("1.1:"), placeholder
    answered, problems = check_questions(parse(good.replace("**1.3 ", "**1.9 "))[1])
    assert answered == TOTAL - 1 and any(p.startswith("1.3: missing") for p in problems)
    no_answer = good.replace("An answer.\n\n## 2.", "\n## 2.")
    assert check_questions(parse(no_answer)[1])[0] == TOTAL - 1


def test_datasheet_states_the_licensing(release_dir, config):
    text = datasheet()
    card = yaml.safe_load((release_dir / "README.md").read_text(encoding="utf-8").split("---\n")[1])
    ds = config.dataset
    assert card["license"] == "other"
    assert (card["license_name"], card["license_link"]) == (ds.license_name, ds.license_link)
    licence = by_number(parse(text)[1])["6.4"]["answer"]
    for needed in ("`license: other`", f"`license_name: {ds.license_name}`", f"`license_link: {ds.license_link}`",
                   "copyright of the original publishers", "`publisher`", "`license`", ds.annotations_license, "Apache-2.0"):
        assert needed in licence, f"6.4 does not state {needed}"
    assert "`publisher`" in by_number(parse(text)[1])["2.4"]["answer"]
    assert "`license`" in by_number(parse(text)[1])["2.4"]["answer"]


def test_datasheet_figures_are_the_releases(release_dir):
    text = datasheet()
    manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    c = manifest["counts"]
    answers = by_number(parse(text)[1])
    assert (f"{c['documents']} documents and {c['sentences']} sentences, with {c['tokens']} tokens "
            f"and {c['entities']} entities") in answers["2.2"]["answer"]
    assert f"for release {manifest['version']}." in text
    assert f"`dist/{manifest['version']}/`" in answers["6.2"]["answer"]
    assert not PLACEHOLDER_TEXT.search(text), "unrendered template or placeholder text"


def test_datasheet_covers_what_the_release_issue_asks():
    text = datasheet()
    a = {k: q["answer"] for k, q in by_number(parse(text)[1]).items()}
    checks = {
        "content warning": (text, [r"\*\*Content warning\.\*\*.*armed conflict"]),
        "casualty figures as attributed claims dated to publication": (
            a["2.9"] + a["5.4"], [r"[Cc]asualty figures are claims attributed to their sources.*publication date"]),
        "framing and source bias": (a["5.4"], [r"Framing and source bias", "AFP", "Associated Press", "APA",
                                               "Xinhua", "New Zealand", r"Yahoo! News", "Al Jazeera",
                                               "audience", "readers"]),
        "named public figures": (a["2.14"], [r"`PERSON`", "public figures"]),
        "out-of-scope uses": (a["5.5"], [r"(?m)^- \S.+\n- \S"]),  # 5.5 lists them
        "contact": (a["7.2"], [r"\bissues\b"]),
        "correct and extend": (a["7.7"], [r"`annotations/`", r"`seeds/`"]),
        "new versions": (a["7.4"], [r"semantic versioning", r"\bmajor\b", r"\bminor\b", r"\bpatch\b",
                                    r"`corpus-builder release --bump major\|minor\|patch`"]),
        "old versions unchanged": (a["7.6"], [r"`dist/` unchanged"]),
        "changelog": (a["7.3"] + a["7.4"], [r"`CHANGELOG\.md`"]),
        "citation": (a["6.7"], [r"`CITATION\.cff`", r"BibTeX"]),
    }
    missing = [topic for topic, (where, patterns) in checks.items()
               if not all(re.search(p, where, re.S) for p in patterns)]
    assert not missing, f"DATASHEET.md does not cover: {', '.join(missing)}"
