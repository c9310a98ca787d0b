"""Streaming exports: rows are read in batches and written as they come. A CSV export has a
column per hidden field (`hidden.<name>`) and, for one survey, per question (its key); its
data dictionary says what each column holds (docs/feedback.md, "Reading and exporting")."""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Select
from sqlmodel import Session, col, select

from feedback.responses.models import Response
from feedback.surveys.models import Survey, SurveyVersion

BATCH = 500
FIXED = [
    "response_id",
    "survey_id",
    "version",
    "status",
    "submitted_at",
    "completed_at",
    "respondent_external_id",
    "respondent_email",
    "channel",
    "flags",
]
# What each fixed column holds, for the data dictionary.
FIXED_MEANING = {
    "response_id": "The response's id.",
    "survey_id": "The survey answered.",
    "version": "The survey version answered (its questions as they were then).",
    "status": "complete, or partial (not finished yet).",
    "submitted_at": "When the latest answers arrived (UTC).",
    "completed_at": "When the response was completed (UTC); empty while partial.",
    "respondent_external_id": "Who answered, as your systems know them.",
    "respondent_email": "The respondent's e-mail address, when known.",
    "channel": "Where it was answered: web, embed, email, sms, in_app, qr or other.",
    "flags": "honeypot, too_fast: kept, but likely not a person.",
}
HIDDEN_PREFIX = "hidden."
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows(engine: Engine, query: Select[Any]) -> Iterator[Response]:
    """Every matching response, oldest first, fetched `BATCH` at a time by keyset."""
    after: str | None = None
    while True:
        with Session(engine) as session:
            page = query.order_by(col(Response.id)).limit(BATCH)
            if after is not None:
                page = page.where(col(Response.id) > after)
            batch = list(session.scalars(page).all())
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].id


@dataclass
class Columns:
    """The columns after the fixed ones: a column per hidden field, then one per question of
    the survey (each question as its newest version asks it), or `questions` None when the
    export spans surveys and the answers are one JSON column."""

    hidden: list[str] = field(default_factory=list)
    questions: list[dict[str, Any]] | None = None

    def header(self) -> list[str]:
        answers = [q["key"] for q in self.questions] if self.questions is not None else ["answers"]
        return FIXED + [HIDDEN_PREFIX + name for name in self.hidden] + answers


def columns(engine: Engine, query: Select[Any], survey_id: str | None) -> Columns:
    """The hidden fields of every survey the selection holds answers to (or of `survey_id`),
    across their versions; the questions when the export is of one survey."""
    with Session(engine) as session:
        if survey_id is not None:
            surveys = [survey_id]
        else:
            chosen = query.subquery()
            surveys = list(session.scalars(select(chosen.c.survey_id).distinct()).all())
        found = Columns(questions=[] if survey_id is not None else None)
        by_key: dict[str, dict[str, Any]] = {}
        for one in surveys:
            survey = session.get(Survey, one)
            versions = session.exec(
                select(SurveyVersion)
                .where(SurveyVersion.survey_id == one)
                .order_by(col(SurveyVersion.number).desc())
            ).all()
            definitions = [v.definition for v in versions] + (
                [{"hidden_fields": survey.hidden_fields, "questions": survey.questions}]
                if survey
                else []
            )
            for definition in definitions:
                found.hidden.extend(
                    n for n in definition.get("hidden_fields", []) if n not in found.hidden
                )
                for question in definition["questions"]:
                    by_key.setdefault(question["key"], question)
        if found.questions is not None:
            found.questions = list(by_key.values())
    return found


def safe_cell(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _fixed(response: Response) -> list[Any]:
    return [
        response.id,
        response.survey_id,
        response.version,
        response.status,
        response.submitted_at.isoformat(),
        response.completed_at.isoformat() if response.completed_at else None,
        response.respondent_external_id,
        response.respondent_email,
        response.channel,
        response.flags,
    ]


class _Lines:
    """CSV lines, one at a time, every cell safe for a spreadsheet."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer)

    def __call__(self, values: list[Any]) -> str:
        self.writer.writerow([safe_cell(v) for v in values])
        text = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return text


def csv_lines(responses: Iterator[Response], columns: Columns) -> Iterator[str]:
    line = _Lines()
    yield line(columns.header())
    keys = [q["key"] for q in columns.questions] if columns.questions is not None else None
    for response in responses:
        hidden = [response.hidden.get(name) for name in columns.hidden]
        answers = (
            [response.answers.get(k) for k in keys]
            if keys is not None
            else [json.dumps(response.answers, ensure_ascii=False)]
        )
        yield line(_fixed(response) + hidden + answers)


def _values(question: dict[str, Any]) -> str:
    """The answers a question takes, in words."""
    kind = question["type"]
    scales = {"nps": "0-10", "csat": "1-5 (very dissatisfied to very satisfied)",
              "ces": "1-7 (strongly disagree to strongly agree)"}  # fmt: skip
    if kind in scales:
        return scales[kind]
    if kind == "rating":
        return f"1-{question.get('scale', 5)}"
    if kind in ("single_choice", "multi_choice"):
        listed = "; ".join(f"{c['value']} = {c['label']}" for c in question.get("choices", []))
        return listed + ("; several separated by ;" if kind == "multi_choice" else "")
    return (
        f"text, at most {question['max_length']} characters" if "max_length" in question else "text"
    )


def dictionary_lines(columns: Columns) -> Iterator[str]:
    """The data dictionary of a CSV export: a row per column, in the export's order, with
    what it holds (a question's prompt) and the values it takes."""
    line = _Lines()
    yield line(["column", "meaning", "type", "values"])
    for name in FIXED:
        yield line([name, FIXED_MEANING[name], "", ""])
    for name in columns.hidden:
        yield line([HIDDEN_PREFIX + name, f"Hidden field {name}, passed in with the answer.",
                    "hidden", "text"])  # fmt: skip
    if columns.questions is None:
        yield line(["answers", "Every answer, as JSON: question key to answer.", "json", ""])
        return
    for question in columns.questions:
        yield line([question["key"], question["prompt"], question["type"], _values(question)])


def jsonl(responses: Iterator[Response]) -> Iterator[str]:
    for response in responses:
        record = dict(zip(FIXED, _fixed(response), strict=True))
        record.update(hidden=response.hidden, answers=response.answers)
        yield json.dumps(record, ensure_ascii=False) + "\n"
