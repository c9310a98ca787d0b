"""Streaming exports: rows are read in batches and written as they come."""

import csv
import io
import json
from collections.abc import Iterator
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
    "hidden",
]
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


def question_keys(engine: Engine, survey_id: str | None) -> list[str] | None:
    """The survey's question keys across its versions, newest first; None for many surveys."""
    if survey_id is None:
        return None
    with Session(engine) as session:
        survey = session.get(Survey, survey_id)
        versions = session.exec(
            select(SurveyVersion)
            .where(SurveyVersion.survey_id == survey_id)
            .order_by(col(SurveyVersion.number).desc())
        ).all()
        keys: list[str] = []
        for questions in [v.definition["questions"] for v in versions] + (
            [survey.questions] if survey else []
        ):
            keys.extend(q["key"] for q in questions if q["key"] not in keys)
    return keys


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
        json.dumps(response.hidden, ensure_ascii=False) if response.hidden else None,
    ]


def csv_lines(responses: Iterator[Response], keys: list[str] | None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        writer.writerow([safe_cell(v) for v in values])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(FIXED + (keys if keys is not None else ["answers"]))
    for response in responses:
        answers = (
            [response.answers.get(k) for k in keys]
            if keys is not None
            else [json.dumps(response.answers, ensure_ascii=False)]
        )
        yield line(_fixed(response) + answers)


def jsonl(responses: Iterator[Response]) -> Iterator[str]:
    for response in responses:
        record = dict(zip(FIXED, _fixed(response), strict=True))
        record.update(hidden=response.hidden, answers=response.answers)
        yield json.dumps(record, ensure_ascii=False) + "\n"
