"""Applying a batch of events exactly once: each event's effect and the record of its id are
written in one transaction, so a duplicate (a retry, a replay, two relays) changes nothing."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from cxshared.db import write_session
from cxshared.events.ingest import EventEnvelope, invalid_event
from cxshared.timeutil import as_utc, utcnow
from metrics.alerts.models import Alert, Incident
from metrics.cases import service as cases
from metrics.cases.schemas import CaseData
from metrics.customers.service import keep_latest_nps, refresh_latest_nps
from metrics.dimension import service as dimension
from metrics.effects import service as effects
from metrics.facts.models import ErasedResponse, ResponseFact
from metrics.facts.service import RollupDeltas, insert_facts, remove_facts
from metrics.facts.values import Fact, FactValues, fact_values
from metrics.ingest.models import ProcessedEvent
from metrics.ingest.schemas import ActionData, EntityData, ErasureData, ResponseData
from metrics.observed import service as observed
from metrics.themes import service as themes

COMPLETE = "complete"
M = TypeVar("M", bound=BaseModel)
log = structlog.get_logger("metrics.ingest")

# Two deliveries of one event can race on PostgreSQL: the second waits on the first's row and
# then fails its unique key. Trying again sees the first as processed.
ATTEMPTS = 3


@dataclass
class Batch:
    """What one transaction applies. Facts to add are gathered and inserted in one statement at
    the end; the facts and erasures the batch's responses may meet are read up front."""

    session: Session
    min_responses: int
    deltas: RollupDeltas = field(default_factory=RollupDeltas)
    stored: dict[str, ResponseFact] = field(default_factory=dict)
    erased: set[str] = field(default_factory=set)
    pending: dict[str, FactValues] = field(default_factory=dict)
    removed_respondents: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    touchpoints: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)

    def prefetch(self, response_ids: set[str]) -> None:
        if not response_ids:
            return
        for fact in self.session.execute(
            select(ResponseFact).where(col(ResponseFact.response_id).in_(response_ids))
        ).scalars():
            self.stored[fact.response_id] = fact
        self.erased |= set(
            self.session.execute(
                select(col(ErasedResponse.response_id)).where(
                    col(ErasedResponse.response_id).in_(response_ids)
                )
            ).scalars()
        )

    def current(self, response_id: str) -> Fact | None:
        return self.pending.get(response_id) or self.stored.get(response_id)

    def put(self, fact: FactValues) -> None:
        """Adds the fact, replacing the response's current one if there is one."""
        if fact.response_id in self.pending:
            self.deltas.add(self.pending.pop(fact.response_id), sign=-1)
        elif fact.response_id in self.stored:
            self.remove([self.stored[fact.response_id]])
        self.pending[fact.response_id] = fact
        self.deltas.add(fact)
        self.touchpoints.add(fact.touchpoint_id)

    def remove(self, facts: list[ResponseFact]) -> None:
        remove_facts(self.session, facts, self.deltas)
        for fact in facts:
            self.stored.pop(fact.response_id, None)
            self.removed.add(fact.response_id)
            self.touchpoints.add(fact.touchpoint_id)
            if fact.respondent_id:
                self.removed_respondents.add(fact.respondent_id)

    def drop_pending(self, keep: Callable[[FactValues], bool]) -> set[str]:
        """Forgets pending facts `keep` refuses; returns their response ids."""
        dropped = {k: f for k, f in self.pending.items() if not keep(f)}
        for response_id, fact in dropped.items():
            self.deltas.add(self.pending.pop(response_id), sign=-1)
            self.touchpoints.add(fact.touchpoint_id)
        return set(dropped)

    def finish(self, processed: list[dict[str, Any]]) -> None:
        added = list(self.pending.values())
        insert_facts(self.session, added)
        themes.on_facts_changed(self.session, removed=self.removed, added=added)
        if processed:
            table = ProcessedEvent.__table__  # type: ignore[attr-defined]
            self.session.execute(insert(table), processed)
        self.deltas.write(self.session)
        keep_latest_nps(
            self.session, (f for f in added if f.respondent_id not in self.removed_respondents)
        )
        for respondent in self.removed_respondents:
            refresh_latest_nps(self.session, respondent)
        # After the rollups: the effect counts the answers of this very batch.
        effects.measure(
            self.session, self.actions, today=utcnow().date(), min_responses=self.min_responses
        )


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
        raise invalid_event(exc, event, index, "metrics") from exc


def _response(batch: Batch, event: EventEnvelope, index: int) -> None:
    data = _parse(ResponseData, event, index)
    if data.status != COMPLETE or data.response_id in batch.erased:
        return
    occurred_at = as_utc(event.occurred_at)
    existing = batch.current(data.response_id)
    if existing is not None and as_utc(existing.source_at) >= occurred_at:
        return  # an older (or the same) state of the response
    batch.put(
        fact_values(
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
    named = set(data.response_ids)
    facts = list(
        session.execute(
            select(ResponseFact).where(
                or_(
                    col(ResponseFact.respondent_id) == data.respondent_external_id,
                    col(ResponseFact.response_id).in_(named),
                )
            )
        ).scalars()
    )
    batch.remove(facts)
    dropped = batch.drop_pending(
        lambda f: f.respondent_id != data.respondent_external_id and f.response_id not in named
    )
    erased = named | dropped | {f.response_id for f in facts}
    batch.erased |= erased
    for response_id in erased:
        session.merge(ErasedResponse(response_id=response_id))
    if erased:
        _forget_in_alerts(session, erased)
    cases.erase(session, respondent_id=data.respondent_external_id, case_ids=data.case_ids)
    observed.erase_customer(session, data.respondent_external_id)


def _case(batch: Batch, event: EventEnvelope, index: int) -> None:
    cases.apply(batch.session, _parse(CaseData, event, index), as_utc(event.occurred_at))


def _action(batch: Batch, event: EventEnvelope, index: int) -> None:
    data = _parse(ActionData, event, index)
    moved = effects.apply_action(
        batch.session,
        effects.ActionEvent(
            action_id=data.id,
            version=data.version,
            journey_id=data.journey_id,
            title=data.title,
            state=data.state,
            touchpoint_ids=list(dict.fromkeys(data.affected_touchpoint_ids)),
            shipped_on=as_utc(data.shipped_at).date() if data.shipped_at else None,
            deleted=data.deleted or event.type == "action.deleted",
        ),
    )
    if moved:
        batch.actions.add(data.id)


def _forget_in_alerts(session: Session, response_ids: set[str]) -> None:
    """Erased answers leave the evidence of incidents and of the alerts before them."""
    for model in (Incident, Alert):
        for row in session.execute(select(model)).scalars():
            kept = [r for r in row.response_ids if r not in response_ids]
            if len(kept) != len(row.response_ids):
                row.response_ids = kept
                session.add(row)


def _entity(entity: str) -> Callable[[Batch, EventEnvelope, int], None]:
    def apply(batch: Batch, event: EventEnvelope, index: int) -> None:
        data = _parse(EntityData, event, index)
        mapped = observed.mapping_signature(batch.session, entity, data.id)
        if dimension.apply(batch.session, entity, data.model_dump()) and entity == "touchpoint":
            batch.touchpoints.add(data.id)
        if mapped != observed.mapping_signature(batch.session, entity, data.id):
            observed.mark_stale(batch.session)

    return apply


RESPONSE_TYPES = {"response.completed", "response.updated"}
HANDLERS: dict[str, Callable[[Batch, EventEnvelope, int], None]] = {
    "response.completed": _response,
    "response.updated": _response,
    "respondent.erased": _erasure,
    **{
        f"case.{verb}": _case
        for verb in ("opened", "assigned", "updated", "breached", "resolved", "closed", "reopened")
    },
    **{
        f"action.{verb}": _action
        for verb in ("created", "updated", "shipped", "abandoned", "deleted")
    },
    **{
        f"{entity}.{verb}": _entity(entity)
        for entity in dimension.TABLES
        for verb in ("created", "updated", "deleted")
    },
}


def ingest(session: Session, events: list[EventEnvelope], *, min_responses: int) -> Result:
    """Applies the events not seen before, in the caller's write transaction. `min_responses`:
    what an action's effect is measured with."""
    ids = {e.id for e in events}
    seen: set[Any] = set(
        session.execute(
            select(col(ProcessedEvent.id)).where(col(ProcessedEvent.id).in_(ids))
        ).scalars()
    )
    batch = Batch(session, min_responses)
    batch.prefetch(
        {
            str(e.data["response_id"])
            for e in events
            if e.type in RESPONSE_TYPES and e.id not in seen and "response_id" in e.data
        }
    )
    applied = duplicates = ignored = 0
    processed = []
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
        processed.append(
            {"id": event.id, "type": event.type, "source": event.source, "processed_at": utcnow()}
        )
    batch.finish(processed)
    return Result(applied, duplicates, ignored, frozenset(batch.touchpoints - {""}))


def apply(*, engine: Engine, events: list[EventEnvelope], min_responses: int) -> Result:
    """Applies the events in a write transaction of their own, tried again when another
    delivery of one of them committed first."""
    attempt = 1
    while True:
        try:
            with write_session(engine) as session:
                return ingest(session, events, min_responses=min_responses)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
            log.info("ingest.retried", attempt=attempt)
            attempt += 1
