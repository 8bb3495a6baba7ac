"""The corpus authors' answers: what only they know about their corpus (topic, motivation,
sources, collection, content warning, uses, risks, funding, consent...), one Markdown
file per key in the project's ``card/`` folder (``card/1.1.md`` answers datasheet
question 1.1). The templates hold only generic wording and the build's facts; every
sentence about one corpus comes from these files (docs/data-format.md lists the keys).

An answer is missing when its file is absent, empty, or holds only HTML comments (the
skeleton ``init`` writes). A missing answer renders as "not answered"; a missing
*author-only* answer (funding, ethics review, consent: the build cannot know them) is
a warning (W007) for ``build`` and ``validate`` and stops ``release`` (E009).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..catalogue import problem
from ..errors import Problem, rel


@dataclass(frozen=True)
class Question:
    key: str
    ask: str  # what the answer says (for the skeleton and docs/data-format.md)
    author_only: bool = False


# Datasheet questions (Gebru et al. 2021) whose answers need the authors, then the card's own keys
QUESTIONS: tuple[Question, ...] = (
    Question("summary", "One or two sentences: what the texts are and what they are about (card and Croissant description)."),
    Question("content-warning", "A content warning for readers of the text, or leave empty for none."),
    Question("sources", "Who produced the source texts (publishers, authors, agencies) and where they come from."),
    Question("recommendations", "Recommendations to users of the dataset (card)."),
    Question("1.1", "For what purpose was the dataset created? Was there a specific task or gap?"),
    Question("1.2", "Who created the dataset and on behalf of which entity (beyond the maintainers)?"),
    Question("1.3", "Who funded the creation of the dataset? (e.g. 'No funding.' or the grant)", author_only=True),
    Question("1.4", "Any other comments on the motivation?"),
    Question("2.3", "Is it all possible instances or a sample? Is it representative of anything?"),
    Question("2.9", "Errors, sources of noise or redundancies specific to these texts."),
    Question("2.11", "Does the dataset contain confidential data?"),
    Question("2.12", "Does it contain data that might be offensive, insulting, threatening or cause anxiety?"),
    Question("2.13", "Does it identify any subpopulations?"),
    Question("2.14", "Is it possible to identify individuals? Who is named?"),
    Question("2.15", "Does it contain sensitive data?"),
    Question("3.2", "How were the source texts obtained (who, how, from where)?"),
    Question("3.3", "If a sample of a larger set, what was the sampling strategy?"),
    Question("3.4", "Who was involved in collecting the data and how were they compensated?"),
    Question("3.5", "Over what timeframe were the texts written and collected?"),
    Question("3.6", "Were any ethical review processes conducted? (e.g. 'No: ...' or the board and decision)",
             author_only=True),
    Question("3.7", "Was the data collected from the individuals directly or via third parties?"),
    Question("3.8", "Were the individuals notified about the data collection?"),
    Question("3.9", "Did the individuals consent to the collection and use of their data?", author_only=True),
    Question("3.10", "If consent was obtained, can it be revoked?"),
    Question("3.11", "Has an analysis of the impact on data subjects been conducted?"),
    Question("3.12", "Any other comments on the collection?"),
    Question("5.1", "Has the dataset been used for any tasks already?"),
    Question("5.2", "Is there a repository that links to papers or systems that use it?"),
    Question("5.3", "What (other) tasks could the dataset be used for?"),
    Question("5.4", "Anything about its composition or collection that might impact future uses (biases, risks)?"),
    Question("5.5", "Are there tasks for which the dataset should not be used?"),
    Question("5.6", "Any other comments on uses?"),
    Question("6.4", "Under what copyright or licence is the source text distributed (the text, not the annotations)?"),
    Question("6.5", "Have third parties imposed IP-based or other restrictions on the data?"),
    Question("6.6", "Do export controls or other regulatory restrictions apply?"),
    Question("7.5", "If the dataset relates to people, are there limits on the retention of their data?"),
)
KEYS = {q.key: q for q in QUESTIONS}
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def read_answer(path: Path) -> str | None:
    """The answer in ``path``, None when absent or only the skeleton's comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
    text = _COMMENT.sub("", text).strip()
    return text or None


def load_answers(folder: Path) -> dict[str, str | None]:
    """Every key's answer from ``folder`` (``<key>.md``), None where unanswered."""
    return {q.key: read_answer(folder / f"{q.key}.md") for q in QUESTIONS}


def unanswered(folder: Path) -> list[Question]:
    """The author-only questions without an answer in ``folder``."""
    return [q for q in QUESTIONS if q.author_only and read_answer(folder / f"{q.key}.md") is None]


def answer_problems(folder: Path) -> list[Problem]:
    """W007 for each unanswered author-only question, W008 for a file no key reads."""
    problems = [problem("W007", file=rel(folder / f"{q.key}.md"), key=q.key) for q in unanswered(folder)]
    if folder.is_dir():
        problems += [problem("W008", file=rel(p), found=p.name, expected="<key>.md, a key of docs/data-format.md")
                     for p in sorted(folder.iterdir()) if p.suffix != ".md" or p.stem not in KEYS]
    return problems


def skeleton(question: Question) -> str:
    """What ``init`` writes for a question: the question as a comment, to be replaced."""
    need = " Only you can answer it: `release` refuses to publish until you do." if question.author_only else ""
    return f"<!-- {question.key}: {question.ask}{need} Replace this comment with your answer (Markdown). -->\n"
