"""Evaluates incidents in the background: touchpoints that received answers soon after they
arrive (at most once per debounce interval), and every touchpoint on a schedule. The scheduled
round also measures again the stored effects of shipped actions not measured today."""

import threading
import time
from typing import Any

import structlog

from cxshared.events.outbox import Outbox
from cxshared.timeutil import utcnow
from metrics.alerts.service import evaluate_touchpoints
from metrics.config import Settings
from metrics.effects.service import refresh_due

log = structlog.get_logger("metrics.alerts")


class AlertEvaluator:
    def __init__(self, engine: Any, outbox: Outbox, settings: Settings) -> None:
        self.engine = engine
        self.outbox = outbox
        self.settings = settings
        self._dirty: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def touch(self, touchpoint_ids: frozenset[str] | set[str]) -> None:
        if not touchpoint_ids or self._thread is None:
            return
        with self._lock:
            self._dirty |= touchpoint_ids
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alert-evaluator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        next_full = time.monotonic()
        while not self._stop.is_set():
            try:
                if time.monotonic() >= next_full:
                    with self._lock:
                        self._dirty.clear()
                    self._evaluate(None)
                    self._refresh_effects()
                    next_full = time.monotonic() + self.settings.alert_schedule_seconds
                with self._lock:
                    dirty, self._dirty = self._dirty, set()
                if dirty:
                    self._evaluate(dirty)
            except Exception:  # a failed round is logged and tried again; the thread lives on
                log.exception("alerts.evaluation_failed")
            self._wake.wait(timeout=max(0.0, next_full - time.monotonic()))
            self._wake.clear()
            self._stop.wait(self.settings.alert_debounce_seconds)

    def _evaluate(self, touchpoint_ids: set[str] | None) -> None:
        changes = evaluate_touchpoints(self.engine, self.outbox, self.settings, touchpoint_ids)
        if changes.opened or changes.reopened or changes.escalated or changes.resolved:
            log.info(
                "incidents.evaluated",
                opened=changes.opened,
                reopened=changes.reopened,
                escalated=changes.escalated,
                resolved=changes.resolved,
            )

    def _refresh_effects(self) -> None:
        measured = refresh_due(
            self.engine, today=utcnow().date(), min_responses=self.settings.min_responses
        )
        if measured:
            log.info("effects.refreshed", actions=measured)
