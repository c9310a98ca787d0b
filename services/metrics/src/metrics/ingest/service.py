"""Applying a batch of events exactly once: each event's effect and the record of its id are
written in one transaction, so a duplicate (a retry, a replay, two relays) changes nothing."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import or_, select
from sqlmodel import Session, col

from cxshared.problems import Problem
from cxshared.timeutil import as_utc
from metrics.alerts.models import Alert
from metrics.dimension import service as dimension
from metrics.facts.models import ErasedResponse, ResponseFact
from metrics.facts.service import (
    RollupDeltas,
    add_facts,
    build_fact,
    refresh_respondents,
    remove_facts,
)
from metrics.ingest.models import ProcessedEvent
from metrics.ingest.schemas import EntityData, ErasureData, EventEnvelope, ResponseData

COMPLETE = "complete"
M = TypeVar("M", bound=BaseModel)


@dataclass
class Batch:
    """What one transaction applies: rollup deltas and the respondents and touchpoints touched."""

    session: Session
    deltas: RollupDeltas = field(default_factory=RollupDeltas)
    facts_changed: list[ResponseFact] = field(default_factory=list)
    touchpoints: set[str] = field(default_factory=set)

    def add(self, fact: ResponseFact) -> None:
        add_facts(self.session, [fact], self.deltas)
        self.facts_changed.append(fact)
        self.touchpoints.add(fact.touchpoint_id)

    def remove(self, facts: list[ResponseFact]) -> None:
        remove_facts(self.session, facts, self.deltas)
        self.facts_changed.extend(facts)
        self.touchpoints.update(f.touchpoint_id for f in facts)

    def finish(self) -> None:
        self.session.flush()
        self.deltas.write(self.session)
        refresh_respondents(self.session, self.facts_changed)


@dataclass(frozen=True)
class Result:
    applied: int
    duplicates: int
    ignored: int
    touchpoints: frozenset[str]


def _parse(model: type[M], event: EventEnvelope, index: int) -> M:
    try:
        return model.model_validate(event.data)
    except ValidationError as exc:
        raise Problem(
            422,
            "invalid-event",
            "Invalid event",
            f"Event {index} ({event.type} {event.id}) does not carry what metrics needs.",
            errors=[
                {
                    "loc": ["body", "events", index, "data", *e["loc"]],
                    "msg": e["msg"],
                    "type": e["type"],
                }
                for e in exc.errors()
            ],
        ) from exc


def _response(batch: Batch, event: EventEnvelope, index: int) -> None:
    data = _parse(ResponseData, event, index)
    if data.status != COMPLETE:
        return
    if batch.session.get(ErasedResponse, data.response_id) is not None:
        return
    occurred_at = as_utc(event.occurred_at)
    existing = batch.session.get(ResponseFact, data.response_id)
    if existing is not None:
        if as_utc(existing.source_at) >= occurred_at:
            return  # an older (or the same) state of the response
        batch.remove([existing])
        batch.session.flush()
    batch.add(
        build_fact(
            response_id=data.response_id,
            survey_id=data.survey_id,
            survey_version=data.version,
            touchpoint_id=data.touchpoint_id,
            respondent_id=data.respondent_external_id,
            channel=data.channel,
            hidden=data.hidden,
            submitted_at=as_utc(data.completed_at or data.submitted_at),
            flagged=bool(data.flags),
            answers=[a.model_dump(exclude_none=True) for a in data.answers],
            source_at=occurred_at,
        )
    )


def _erasure(batch: Batch, event: EventEnvelope, index: int) -> None:
    data = _parse(ErasureData, event, index)
    session = batch.session
    facts = list(
        session.execute(
            select(ResponseFact).where(
                or_(
                    col(ResponseFact.respondent_id) == data.respondent_external_id,
                    col(ResponseFact.response_id).in_(data.response_ids),
                )
            )
        ).scalars()
    )
    batch.remove(facts)
    erased = set(data.response_ids) | {f.response_id for f in facts}
    for response_id in erased:
        session.merge(ErasedResponse(response_id=response_id))
    if erased:
        _forget_in_alerts(session, erased)


def _forget_in_alerts(session: Session, response_ids: set[str]) -> None:
    for alert in session.execute(select(Alert)).scalars():
        kept = [r for r in alert.response_ids if r not in response_ids]
        if len(kept) != len(alert.response_ids):
            alert.response_ids = kept
            session.add(alert)


def _entity(entity: str) -> Callable[[Batch, EventEnvelope, int], None]:
    def apply(batch: Batch, event: EventEnvelope, index: int) -> None:
        data = _parse(EntityData, event, index)
        if dimension.apply(batch.session, entity, data.model_dump()) and entity == "touchpoint":
            batch.touchpoints.add(data.id)

    return apply


HANDLERS: dict[str, Callable[[Batch, EventEnvelope, int], None]] = {
    "response.completed": _response,
    "response.updated": _response,
    "respondent.erased": _erasure,
    **{
        f"{entity}.{verb}": _entity(entity)
        for entity in dimension.TABLES
        for verb in ("created", "updated", "deleted")
    },
}


def ingest(session: Session, events: list[EventEnvelope]) -> Result:
    """Applies the events not seen before, in the caller's write transaction."""
    ids = {e.id for e in events}
    seen: set[Any] = set(
        session.execute(
            select(col(ProcessedEvent.id)).where(col(ProcessedEvent.id).in_(ids))
        ).scalars()
    )
    batch = Batch(session)
    applied = duplicates = ignored = 0
    for index, event in enumerate(events):
        if event.id in seen:
            duplicates += 1
            continue
        seen.add(event.id)
        handler = HANDLERS.get(event.type)
        if handler is None:
            ignored += 1
        else:
            handler(batch, event, index)
            applied += 1
        session.add(ProcessedEvent(id=event.id, type=event.type, source=event.source))
    batch.finish()
    return Result(applied, duplicates, ignored, frozenset(batch.touchpoints - {""}))
