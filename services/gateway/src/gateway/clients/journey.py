"""Every call the gateway makes to the journey service."""

import asyncio
from typing import Any

from cxshared.client import BackendClient
from gateway.clients.models import (
    Action,
    Change,
    Journey,
    JourneySummary,
    Opportunity,
    Review,
    Team,
    Touchpoint,
    TouchpointGroup,
    TouchpointSummary,
    Version,
    VersionComparison,
    VersionPage,
)


class JourneyClient(BackendClient):
    name = "journey"

    async def list_journeys(self) -> list[JourneySummary]:
        page = await self.get_json("/v1/journeys", params={"limit": 200})
        return [JourneySummary.model_validate(item) for item in page["items"]]

    async def get_journey(self, journey_id: str) -> Journey:
        return Journey.model_validate(await self.get_json(f"/v1/journeys/{journey_id}/document"))

    async def list_touchpoints(self) -> list[TouchpointSummary]:
        page = await self.get_json("/v1/touchpoints", params={"limit": 200})
        return [TouchpointSummary.model_validate(item) for item in page["items"]]

    async def touchpoints_by_journey(self) -> list[TouchpointGroup]:
        """Every touchpoint under its journey's name: live current-state journeys first, then
        drafts and future states, each in name order."""
        touchpoints, journeys = await asyncio.gather(self.list_touchpoints(), self.list_journeys())
        ordered = sorted(
            journeys, key=lambda j: (j.status != "live" or j.state != "current", j.name.lower())
        )
        groups = [
            TouchpointGroup(
                journey_id=j.id,
                label=TouchpointGroup.label_of(j),
                touchpoints=[t for t in touchpoints if t.journey_id == j.id],
            )
            for j in ordered
        ]
        return [g for g in groups if g.touchpoints]

    async def list_teams(self) -> list[Team]:
        page = await self.get_json("/v1/teams", params={"limit": 200})
        return [Team.model_validate(item) for item in page["items"]]

    async def get_touchpoint(self, touchpoint_id: str) -> Touchpoint:
        return Touchpoint.model_validate(await self.get_json(f"/v1/touchpoints/{touchpoint_id}"))

    async def update_touchpoint(
        self, touchpoint_id: str, *, version: int, changes: dict[str, Any], acting_user: str
    ) -> Touchpoint:
        response = await self.request(
            "PATCH",
            f"/v1/touchpoints/{touchpoint_id}",
            json=changes,
            if_match=version,
            acting_user=acting_user,
        )
        return Touchpoint.model_validate(response.json())

    async def create_touchpoint(
        self, stage_id: str, *, fields: dict[str, Any], acting_user: str
    ) -> Touchpoint:
        response = await self.request(
            "POST", f"/v1/stages/{stage_id}/touchpoints", json=fields, acting_user=acting_user
        )
        return Touchpoint.model_validate(response.json())

    async def delete_touchpoint(
        self, touchpoint_id: str, *, version: int, acting_user: str
    ) -> None:
        await self.request(
            "DELETE", f"/v1/touchpoints/{touchpoint_id}", if_match=version, acting_user=acting_user
        )

    async def move_touchpoint(
        self, touchpoint_id: str, *, version: int, position: int, acting_user: str
    ) -> Touchpoint:
        response = await self.request(
            "POST",
            f"/v1/touchpoints/{touchpoint_id}/move",
            json={"position": position},
            if_match=version,
            acting_user=acting_user,
        )
        return Touchpoint.model_validate(response.json())

    async def create_stage(
        self, journey_id: str, *, fields: dict[str, Any], acting_user: str
    ) -> None:
        await self.request(
            "POST", f"/v1/journeys/{journey_id}/stages", json=fields, acting_user=acting_user
        )

    async def delete_stage(self, stage_id: str, *, version: int, acting_user: str) -> None:
        await self.request(
            "DELETE", f"/v1/stages/{stage_id}", if_match=version, acting_user=acting_user
        )

    async def ownership(self, *, journey_id: str | None, include_drafts: bool) -> dict[str, Any]:
        """Gaps, handoffs and load of live current-state journeys (or of `journey_id`); with
        `include_drafts`, of drafts and future states too."""
        found: dict[str, Any] = await self.get_json(
            "/v1/reports/ownership",
            params={"journey_id": journey_id, "include_drafts": include_drafts or None},
        )
        return found

    async def overdue_reviews(self, *, include_drafts: bool = False) -> list[dict[str, Any]]:
        found = await self.get_json(
            "/v1/reports/reviews", params={"include_drafts": include_drafts or None}
        )
        overdue: list[dict[str, Any]] = found["overdue"]
        return overdue

    async def update_journey(
        self, journey_id: str, *, version: int, changes: dict[str, Any], acting_user: str
    ) -> JourneySummary:
        response = await self.request(
            "PATCH",
            f"/v1/journeys/{journey_id}",
            json=changes,
            if_match=version,
            acting_user=acting_user,
        )
        return JourneySummary.model_validate(response.json())

    async def list_opportunities(self, journey_id: str) -> list[Opportunity]:
        page = await self.get_json(
            "/v1/opportunities", params={"journey_id": journey_id, "limit": 200}
        )
        return [Opportunity.model_validate(item) for item in page["items"]]

    async def create_opportunity(
        self,
        *,
        stage_id: str | None,
        touchpoint_id: str | None,
        fields: dict[str, Any],
        acting_user: str,
    ) -> Opportunity:
        path = (
            f"/v1/touchpoints/{touchpoint_id}/opportunities"
            if touchpoint_id
            else f"/v1/stages/{stage_id}/opportunities"
        )
        response = await self.request("POST", path, json=fields, acting_user=acting_user)
        return Opportunity.model_validate(response.json())

    async def update_opportunity(
        self, opportunity_id: str, *, version: int, changes: dict[str, Any], acting_user: str
    ) -> Opportunity:
        response = await self.request(
            "PATCH",
            f"/v1/opportunities/{opportunity_id}",
            json=changes,
            if_match=version,
            acting_user=acting_user,
        )
        return Opportunity.model_validate(response.json())

    async def touchpoint_history(self, touchpoint_id: str) -> list[Change]:
        page = await self.get_json("/v1/history", params={"entity_id": touchpoint_id, "limit": 100})
        return [Change.model_validate(item) for item in page["items"]]

    async def list_actions(self, journey_id: str) -> list[Action]:
        page = await self.get_json("/v1/actions", params={"journey_id": journey_id, "limit": 200})
        return [Action.model_validate(item) for item in page["items"]]

    async def get_action(self, action_id: str) -> Action:
        return Action.model_validate(await self.get_json(f"/v1/actions/{action_id}"))

    async def create_action(
        self, journey_id: str, *, fields: dict[str, Any], acting_user: str
    ) -> Action:
        response = await self.request(
            "POST", f"/v1/journeys/{journey_id}/actions", json=fields, acting_user=acting_user
        )
        return Action.model_validate(response.json())

    async def update_action(
        self, action_id: str, *, version: int, changes: dict[str, Any], acting_user: str
    ) -> Action:
        response = await self.request(
            "PATCH",
            f"/v1/actions/{action_id}",
            json=changes,
            if_match=version,
            acting_user=acting_user,
        )
        return Action.model_validate(response.json())

    async def list_reviews(self, journey_id: str) -> list[Review]:
        page = await self.get_json(f"/v1/journeys/{journey_id}/reviews", params={"limit": 50})
        return [Review.model_validate(item) for item in page["items"]]

    async def create_review(
        self, journey_id: str, *, fields: dict[str, Any], acting_user: str
    ) -> Review:
        response = await self.request(
            "POST", f"/v1/journeys/{journey_id}/reviews", json=fields, acting_user=acting_user
        )
        return Review.model_validate(response.json())

    async def list_versions(
        self, journey_id: str, *, cursor: str | None = None, limit: int = 50
    ) -> VersionPage:
        """The journey's map versions, newest first."""
        return VersionPage.model_validate(
            await self.get_json(
                f"/v1/journeys/{journey_id}/versions", params={"cursor": cursor, "limit": limit}
            )
        )

    async def get_version(self, journey_id: str, number: int) -> Version:
        return Version.model_validate(
            await self.get_json(f"/v1/journeys/{journey_id}/versions/{number}")
        )

    async def compare_versions(
        self, journey_id: str, *, from_version: int, to_version: int
    ) -> VersionComparison:
        return VersionComparison.model_validate(
            await self.get_json(
                f"/v1/journeys/{journey_id}/versions/compare",
                params={"from_version": from_version, "to_version": to_version},
            )
        )

    async def restore_version(
        self, journey_id: str, number: int, *, acting_user: str, idempotency_key: str
    ) -> JourneySummary:
        """A new draft journey with the version's map; a retry with the same key makes none."""
        response = await self.request(
            "POST",
            f"/v1/journeys/{journey_id}/versions/{number}/restore",
            json={},
            acting_user=acting_user,
            headers={"Idempotency-Key": idempotency_key},
        )
        return JourneySummary.model_validate(response.json())

    async def get_opportunity(self, opportunity_id: str) -> Opportunity:
        return Opportunity.model_validate(
            await self.get_json(f"/v1/opportunities/{opportunity_id}")
        )
