"""The relay: delivers outbox rows at least once, with backoff, leases and a dead-letter state.

Deliveries are claimed by state and due time, never by an id cursor (ids commit out of order).
Claiming pushes `next_attempt_at` one lease ahead and stamps a lease token, in a transaction that
holds ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (so replicas share the work) or the write lock on
SQLite. A relay that dies after sending but before marking leaves the row to be claimed again when
the lease runs out: the receiver sees the same `webhook-id` twice and drops the repeat.
"""

import json
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session

from cxshared import faults
from cxshared.db import write_session
from cxshared.events.models import DeliveryState, OutboxDelivery, OutboxEvent, WebhookSubscription
from cxshared.events.outbox import Outbox
from cxshared.events.signing import signature_header
from cxshared.ids import new_id
from cxshared.leases import anything_due, claim_due
from cxshared.settings import ServiceSettings
from cxshared.timeutil import utcnow
from cxshared.url_guard import Resolver, UnsafeUrl, check_url, pinned_request, system_resolver

log = structlog.get_logger("cxshared.relay")

USER_AGENT = "cxloop-webhooks/1"


@dataclass(frozen=True)
class Claim:
    delivery_id: str
    lease_token: str
    attempts: int
    destination: str
    envelope: dict[str, Any]
    subscription: WebhookSubscription | None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with jitter: half the step fixed, half random."""
    step: float = min(cap, base * 2.0 ** max(0, attempt - 1))
    return step / 2 + random.uniform(0, step / 2)


class Relay:
    def __init__(
        self,
        *,
        engine: Engine,
        outbox: Outbox,
        settings: ServiceSettings,
        client: httpx.Client | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.engine = engine
        self.outbox = outbox
        self.settings = settings
        self.resolver = resolver
        # Sends run in parallel, so one slow endpoint does not hold up the others.
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="relay-send")
        self.client = client or httpx.Client(
            timeout=settings.relay_timeout_seconds,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )

    def run(self, stop: threading.Event) -> None:
        log.info("relay.started", source=self.outbox.source)
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.exception("relay.cycle_failed")
                handled = 0
            if handled == 0:
                self.outbox.wakeup.wait(self.settings.relay_poll_seconds)
                self.outbox.wakeup.clear()
        self.pool.shutdown(wait=False)
        log.info("relay.stopped", source=self.outbox.source)

    def run_once(self) -> int:
        claims = self.claim()
        if not claims:
            return 0
        faults.point("relay.after_claim")
        groups = _groups(claims)
        outcomes = list(self.pool.map(self._send_group, groups))
        faults.point("relay.after_send")
        self.settle(
            [
                pair
                for group, results in zip(groups, outcomes, strict=True)
                for pair in zip(group, results, strict=True)
            ]
        )
        return len(claims)

    def _send_group(self, group: list[Claim]) -> list[Outcome]:
        """A sink's claims go in one POST. If the sink refuses the batch as such (a 4xx other
        than for authentication or rate), each is sent alone, so one bad event cannot hold up
        the others; a sink that is down or failing fails them all, to be retried together."""
        if len(group) == 1:
            return [self.send(group[0])]
        try:
            outcome = self._send_sink(group)
        except httpx.HTTPError as exc:
            outcome = Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
        if outcome.ok or not _refused_as_such(outcome):
            return [outcome] * len(group)
        return [self.send(claim) for claim in group]

    def claim(self) -> list[Claim]:
        now = utcnow()
        token = new_id()
        if not anything_due(self.engine, OutboxDelivery, waiting=DeliveryState.PENDING, now=now):
            return []
        with write_session(self.engine) as session:
            ids = claim_due(
                session,
                OutboxDelivery,
                waiting=DeliveryState.PENDING,
                now=now,
                limit=self.settings.relay_batch_size,
                lease_seconds=self.settings.relay_lease_seconds,
                token=token,
            )
            if not ids:
                return []
            rows = session.exec(  # type: ignore[call-overload]
                select(OutboxDelivery, OutboxEvent, WebhookSubscription)
                .join(OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id)  # type: ignore[arg-type]
                .outerjoin(
                    WebhookSubscription,
                    WebhookSubscription.id == OutboxDelivery.subscription_id,  # type: ignore[arg-type]
                )
                .where(OutboxDelivery.id.in_(ids))  # type: ignore[attr-defined]
                # Events in the order they happened (ids are time-ordered): a sink gets its
                # batch in that order, whatever order the rows lie in.
                .order_by(OutboxEvent.id, OutboxDelivery.id)
            ).all()
            return [
                Claim(
                    delivery_id=delivery.id,
                    lease_token=token,
                    attempts=delivery.attempts,
                    destination=delivery.destination,
                    envelope=event.envelope(),
                    subscription=subscription,
                )
                for delivery, event, subscription in rows
            ]

    def send(self, claim: Claim) -> Outcome:
        body = json.dumps(claim.envelope, separators=(",", ":")).encode()
        try:
            if claim.destination == "webhook":
                return self._send_webhook(claim, body)
            return self._send_sink([claim])
        except httpx.HTTPError as exc:
            return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])

    def _send_sink(self, claims: list[Claim]) -> Outcome:
        """One POST of `{"events": [...]}` with every claim's event (all for one sink)."""
        destination = claims[0].destination
        sink = self.outbox.sink(destination.removeprefix("sink:"))
        if sink is None:
            return Outcome(ok=False, error=f"destination {destination} is not configured")
        headers = {"Content-Type": "application/json"}
        if len(claims) == 1:
            headers["webhook-id"] = claims[0].envelope["id"]
        if sink.api_key is not None:
            headers["Authorization"] = f"Bearer {sink.api_key.get_secret_value()}"
        events = [claim.envelope for claim in claims]
        body = json.dumps({"events": events}, separators=(",", ":")).encode()
        response = self.client.post(sink.url, content=body, headers=headers)
        return _outcome(response)

    def _send_webhook(self, claim: Claim, body: bytes) -> Outcome:
        subscription = claim.subscription
        if subscription is None or not subscription.enabled:
            return Outcome(ok=False, error="the subscription is disabled")
        try:
            target = check_url(
                subscription.url,
                allow_private=self.settings.webhook_allow_private_urls,
                resolver=self.resolver,
            )
        except UnsafeUrl as exc:
            return Outcome(ok=False, error=f"refused: the URL {exc}")
        timestamp = int(time.time())
        secrets_ = [subscription.secret]
        expires = subscription.previous_secret_expires_at
        if subscription.previous_secret and expires and expires > utcnow():
            secrets_.append(subscription.previous_secret)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": claim.envelope["id"],
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                secrets_, msg_id=claim.envelope["id"], timestamp=timestamp, body=body
            ),
        }
        url, headers, extensions = pinned_request(target, content=body, headers=headers)
        response = self.client.post(url, content=body, headers=headers, extensions=extensions)
        return _outcome(response)

    def settle(self, results: list[tuple[Claim, Outcome]]) -> None:
        """Records a batch of outcomes in one transaction."""
        now = utcnow()
        with write_session(self.engine) as session:
            for claim, outcome in results:
                # Only the holder of the lease may settle: a relay whose lease ran out and was
                # claimed again by another must not overwrite that one's outcome.
                session.exec(
                    update(OutboxDelivery)
                    .where(
                        OutboxDelivery.id == claim.delivery_id,  # type: ignore[arg-type]
                        OutboxDelivery.lease_token == claim.lease_token,  # type: ignore[arg-type]
                    )
                    .values(**self._settled_values(claim, outcome, now))
                )
            if self.outbox.forget_after_delivery:
                self._forget_delivered(session)
        for claim, outcome in results:
            (log.debug if outcome.ok else log.warning)(
                "relay.delivered" if outcome.ok else "relay.delivery_failed",
                delivery_id=claim.delivery_id,
                event_id=claim.envelope["id"],
                destination=claim.destination,
                status=outcome.status_code,
                attempts=claim.attempts + 1,
                error=outcome.error,
            )

    def _forget_delivered(self, session: Session) -> None:
        """Deletes forget-after-delivery events that every destination has received."""
        undelivered = (
            select(OutboxDelivery.id)  # type: ignore[call-overload]
            .where(
                OutboxDelivery.event_id == OutboxEvent.id,
                OutboxDelivery.state != DeliveryState.DELIVERED,
            )
            .exists()
        )
        session.exec(
            delete(OutboxEvent).where(
                OutboxEvent.type.in_(self.outbox.forget_after_delivery),  # type: ignore[attr-defined]
                ~undelivered,
            )
        )

    def _settled_values(self, claim: Claim, outcome: Outcome, now: datetime) -> dict[str, Any]:
        attempts = claim.attempts + 1
        values: dict[str, Any] = {
            "attempts": attempts,
            "last_attempt_at": now,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
            "lease_token": None,
        }
        if outcome.ok:
            values.update(state=DeliveryState.DELIVERED, delivered_at=now)
        elif attempts >= self.settings.relay_max_attempts:
            values.update(state=DeliveryState.DEAD)
        else:
            delay = backoff_seconds(
                attempts,
                base=self.settings.relay_backoff_base_seconds,
                cap=self.settings.relay_backoff_max_seconds,
            )
            values.update(next_attempt_at=now + timedelta(seconds=delay))
        return values


def _groups(claims: list[Claim]) -> list[list[Claim]]:
    """Each webhook delivery alone; each sink's deliveries together, in claim order."""
    sinks: dict[str, list[Claim]] = {}
    groups: list[list[Claim]] = []
    for claim in claims:
        if claim.destination == "webhook":
            groups.append([claim])
        elif claim.destination in sinks:
            sinks[claim.destination].append(claim)
        else:
            sinks[claim.destination] = [claim]
            groups.append(sinks[claim.destination])
    return groups


def _refused_as_such(outcome: Outcome) -> bool:
    code = outcome.status_code or 0
    return 400 <= code < 500 and code not in (401, 403, 408, 429)


def _outcome(response: httpx.Response) -> Outcome:
    if 200 <= response.status_code < 300:
        return Outcome(ok=True, status_code=response.status_code)
    return Outcome(ok=False, status_code=response.status_code, error=f"HTTP {response.status_code}")


def replay(session: Session, delivery: OutboxDelivery) -> OutboxDelivery:
    """Puts a dead (or delivered) delivery back in line, keeping its event id."""
    delivery.state = DeliveryState.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.lease_token = None
    session.add(delivery)
    return delivery


class LoopThread:
    """Runs a worker's `run(stop)` loop on a thread of the service process; `wakeup` is what
    the loop waits on between rounds, set on stop so that it ends at once."""

    def __init__(self, run: Callable[[threading.Event], None], wakeup: threading.Event) -> None:
        self.wakeup = wakeup
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=run, args=(self.stop_event,), daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.wakeup.set()
        self.thread.join(timeout=10)


class RelayThread(LoopThread):
    """Runs the relay inside the service process (the default)."""

    def __init__(self, relay: Relay) -> None:
        super().__init__(relay.run, relay.outbox.wakeup)
