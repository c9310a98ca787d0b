"""Every call the gateway makes to the metrics service."""

from datetime import date, timedelta
from typing import Any

from cxshared.client import UpstreamNotFound
from gateway.clients.mailing import MailingClient
from gateway.clients.models import (
    Answer,
    AnswerPage,
    AtRiskPage,
    ChurnModel,
    Comment,
    Drivers,
    Filters,
    Incident,
    IncidentPage,
    Overlay,
    Score,
    ScoreChange,
    SeriesPoint,
    Theme,
    ThemeFigures,
    ThemeSuggestion,
)


def _period(start: date | None, end: date | None) -> dict[str, str | None]:
    return {
        "from": start.isoformat() if start else None,
        "to": end.isoformat() if end else None,
    }


class MetricsClient(MailingClient):
    name = "metrics"

    def __init__(self, *, analysis_timeout: float | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.analysis_timeout = analysis_timeout

    async def journey_overlay(
        self, journey_id: str, *, start: date | None = None, end: date | None = None
    ) -> Overlay:
        """Scores for every stage and touchpoint; empty while metrics has heard nothing of the
        journey."""
        try:
            found = await self.get_json(
                f"/v1/journeys/{journey_id}/overlay", params=_period(start, end)
            )
        except UpstreamNotFound:
            return Overlay(journey_id=journey_id)
        return Overlay.model_validate(found)

    async def preview_standard(self, indicator: dict[str, Any]) -> dict[str, Any]:
        """An unsaved indicator judged on the last 30 days' activity events."""
        response = await self.request(
            "POST", "/v1/observed/standards/preview", json={"indicator": indicator}
        )
        found: dict[str, Any] = response.json()
        return found

    async def observed(
        self, journey_id: str, figure: str, *, start: date, end: date, **params: Any
    ) -> dict[str, Any] | None:
        """One figure of the journey as customers' activity events show it (reach, funnel,
        flows, paths, loops, differences; docs/observed.md); None while metrics has heard
        nothing of the journey."""
        try:
            found: dict[str, Any] = await self.get_json(
                f"/v1/observed/{journey_id}/{figure}",
                params={**_period(start, end), **params},
            )
        except UpstreamNotFound:
            return None
        return found

    async def change(self, metric: str, *, start: date, end: date, filters: Filters) -> ScoreChange:
        """The metric over the period against the period of the same length before it."""
        found = await self.get_json(
            "/v1/scores/change",
            params={"metric": metric, **_period(start, end), **filters.params()},
        )
        return ScoreChange.model_validate(found["changes"][0])

    async def score(
        self, metric: str, *, start: date, end: date, touchpoint_id: str | None, filters: Filters
    ) -> Score:
        """The metric over the period, all groups together."""
        found = await self.get_json(
            "/v1/scores",
            params={
                "metric": metric,
                **_period(start, end),
                **filters.params(),
                "touchpoint_id": touchpoint_id,
            },
        )
        return Score.model_validate(found["overall"])

    async def answers(
        self,
        metric: str,
        *,
        start: date,
        end: date,
        touchpoint_id: str | None,
        filters: Filters,
        category: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> AnswerPage:
        """The answers a score with the same filters counts, newest first, and their total."""
        found = await self.get_json(
            "/v1/answers",
            params={
                "metric": metric,
                **_period(start, end),
                **filters.params(),
                "touchpoint_id": touchpoint_id,
                "category": category,
                "cursor": cursor,
                "limit": limit,
            },
        )
        return AnswerPage.model_validate(found)

    async def series(
        self, metric: str, *, interval: str, start: date, end: date, filters: Filters
    ) -> list[SeriesPoint]:
        found = await self.get_json(
            "/v1/scores/series",
            params={
                "metric": metric,
                "interval": interval,
                **_period(start, end),
                **filters.params(),
            },
        )
        return [SeriesPoint.model_validate(point) for point in found["points"]]

    async def open_incidents(self, *, journey_id: str | None = None) -> list[Incident]:
        page = await self.get_json(
            "/v1/incidents", params={"status": "open", "journey_id": journey_id, "limit": 50}
        )
        return [Incident.model_validate(item) for item in page["items"]]

    async def incidents(
        self,
        *,
        status: str | None = None,
        journey_id: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> IncidentPage:
        """Incidents, newest first: all of them, or those of one status."""
        return IncidentPage.model_validate(
            await self.get_json(
                "/v1/incidents",
                params={
                    "status": status,
                    "journey_id": journey_id,
                    "cursor": cursor,
                    "limit": limit,
                },
            )
        )

    async def get_incident(self, incident_id: str) -> Incident:
        return Incident.model_validate(await self.get_json(f"/v1/incidents/{incident_id}"))

    async def update_incident(
        self, incident_id: str, *, status: str, version: int, note: str, acting_user: str
    ) -> Incident:
        """Acknowledges (status acknowledged) or resolves (status resolved, `note` the reason)."""
        response = await self.request(
            "PATCH",
            f"/v1/incidents/{incident_id}",
            json={"status": status, "note": note},
            if_match=version,
            acting_user=acting_user,
        )
        return Incident.model_validate(response.json())

    async def comments(
        self,
        *,
        filters: Filters,
        start: date | None = None,
        end: date | None = None,
        touchpoint_id: str | None = None,
        sentiment: str | None = None,
        band: str | None = None,
        limit: int = 10,
    ) -> list[Comment]:
        page = await self.get_json(
            "/v1/comments",
            params={
                **filters.params(),
                **_period(start, end),
                "touchpoint_id": touchpoint_id,
                "sentiment": sentiment,
                "band": band,
                "limit": limit,
            },
        )
        return [Comment.model_validate(item) for item in page["items"]]

    async def churn(self) -> dict[str, Any]:
        found: dict[str, Any] = await self.get_json("/v1/outcomes/churn")
        return found

    async def revenue_at_risk(self, *, by: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = await self.get_json(
            "/v1/outcomes/revenue-at-risk", params={"by": by}
        )
        return found

    async def churn_model(self) -> ChurnModel:
        """The churn model: whether it is used, its inputs and its held-out performance."""
        return ChurnModel.model_validate(await self.get_json("/v1/outcomes/churn-model"))

    async def at_risk(
        self, *, limit: int, cursor: str | None = None, customer: str | None = None
    ) -> AtRiskPage:
        """Active customers by expected revenue lost, the largest first: a page of them (or
        only `customer`, when at risk)."""
        found = await self.get_json(
            "/v1/outcomes/at-risk",
            params={"limit": limit, "cursor": cursor, "customer": customer},
        )
        return AtRiskPage.model_validate(found)

    async def case_figures(
        self, *, start: date, end: date, journey_id: str | None
    ) -> dict[str, Any]:
        """Cases opened from `start` to `end` (both whole days), their SLA compliance and
        recovery, and the churn of detractors by recovery."""
        found: dict[str, Any] = await self.get_json(
            "/v1/cases/figures",
            params={
                "from": f"{start.isoformat()}T00:00:00Z",
                "to": f"{(end + timedelta(days=1)).isoformat()}T00:00:00Z",
                "journey_id": journey_id,
            },
        )
        return found

    async def lifetime_value(self) -> dict[str, Any]:
        found: dict[str, Any] = await self.get_json("/v1/outcomes/clv")
        return found

    async def segments(self) -> list[dict[str, Any]]:
        """The segments metrics knows (customers' and answers'), each with its customers."""
        found = await self.get_json("/v1/segments")
        return list(found["items"])

    async def drivers(self, *, start: date, end: date, journey_id: str | None) -> Drivers:
        found = await self.get_json(
            "/v1/drivers",
            params={"outcome": "nps", **_period(start, end), "journey_id": journey_id},
            time_limit=self.analysis_timeout,
        )
        return Drivers.model_validate(found)

    async def themes(self, journey_id: str) -> list[Theme]:
        """The journey's comment themes; none while metrics has heard nothing of the journey."""
        try:
            page = await self.get_json(f"/v1/journeys/{journey_id}/themes", params={"limit": 200})
        except UpstreamNotFound:
            return []
        return [Theme.model_validate(t) for t in page["items"]]

    async def theme_figures(
        self, journey_id: str, *, start: date, end: date
    ) -> dict[str, ThemeFigures]:
        """Each theme's figures over the period, by theme id."""
        try:
            found = await self.get_json(
                f"/v1/journeys/{journey_id}/themes/figures", params=_period(start, end)
            )
        except UpstreamNotFound:
            return {}
        return {f["theme_id"]: ThemeFigures.model_validate(f) for f in found["items"]}

    async def theme_suggestions(
        self, journey_id: str, *, start: date, end: date
    ) -> list[ThemeSuggestion]:
        """Themes found in the period's comments that no theme covers yet."""
        try:
            found = await self.get_json(
                f"/v1/journeys/{journey_id}/themes/suggestions", params=_period(start, end)
            )
        except UpstreamNotFound:
            return []
        return [ThemeSuggestion.model_validate(s) for s in found["items"]]

    async def create_theme(
        self, journey_id: str, *, fields: dict[str, Any], acting_user: str
    ) -> Theme:
        response = await self.request(
            "POST", f"/v1/journeys/{journey_id}/themes", json=fields, acting_user=acting_user
        )
        return Theme.model_validate(response.json())

    async def update_theme(
        self,
        journey_id: str,
        theme_id: str,
        *,
        fields: dict[str, Any],
        version: int,
        acting_user: str,
    ) -> Theme:
        response = await self.request(
            "PATCH",
            f"/v1/journeys/{journey_id}/themes/{theme_id}",
            json=fields,
            if_match=version,
            acting_user=acting_user,
        )
        return Theme.model_validate(response.json())

    async def delete_theme(
        self, journey_id: str, theme_id: str, *, version: int, acting_user: str
    ) -> None:
        await self.request(
            "DELETE",
            f"/v1/journeys/{journey_id}/themes/{theme_id}",
            if_match=version,
            acting_user=acting_user,
        )

    async def priorities(
        self, journey_id: str, items: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Priority from data for each item ({id, touchpoint_ids, effort}), by id."""
        if not items:
            return {}
        response = await self.request(
            "POST", "/v1/priorities", json={"journey_id": journey_id, "items": items}
        )
        return {item["id"]: item for item in response.json()["items"]}

    async def effect(
        self, journey_id: str, touchpoint_ids: list[str], shipped_on: date
    ) -> dict[str, Any]:
        """The measured effect of a change shipped on `shipped_on` at the touchpoints."""
        found: dict[str, Any] = await self.get_json(
            "/v1/effects",
            params={
                "journey_id": journey_id,
                "touchpoint_id": touchpoint_ids,
                "shipped_on": shipped_on.isoformat(),
            },
        )
        return found

    async def series_at(
        self, metric: str, *, start: date, end: date, touchpoint_id: str
    ) -> list[SeriesPoint]:
        """A touchpoint's weekly series."""
        found = await self.get_json(
            "/v1/scores/series",
            params={
                "metric": metric,
                "interval": "week",
                **_period(start, end),
                "touchpoint_id": touchpoint_id,
            },
        )
        return [SeriesPoint.model_validate(point) for point in found["points"]]

    async def action_effect(self, action_id: str) -> dict[str, Any] | None:
        """The stored effect of a shipped action ({frozen, computed_on, effect}); None while
        metrics has not measured it yet."""
        try:
            found: dict[str, Any] = await self.get_json(f"/v1/actions/{action_id}/effect")
        except UpstreamNotFound:
            return None
        return found

    async def review_signals(self) -> list[dict[str, Any]]:
        """Every journey's data-driven reasons for a review (docs/improvement.md)."""
        found = await self.get_json("/v1/review-signals")
        return list(found["signals"])

    async def answer(self, response_id: str) -> Answer:
        """One answer as metrics counts it (also those imported, which feedback never saw)."""
        return Answer.model_validate(await self.get_json(f"/v1/answers/{response_id}"))
