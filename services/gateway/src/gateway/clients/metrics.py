"""Every call the gateway makes to the metrics service."""

from datetime import date

from cxshared.client import BackendClient, UpstreamNotFound
from gateway.clients.models import Overlay


class MetricsClient(BackendClient):
    name = "metrics"

    async def journey_overlay(
        self, journey_id: str, *, start: date | None = None, end: date | None = None
    ) -> Overlay:
        """Scores for every stage and touchpoint; empty while metrics has heard nothing of the
        journey."""
        params = {"from": start and start.isoformat(), "to": end and end.isoformat()}
        try:
            found = await self.get_json(f"/v1/journeys/{journey_id}/overlay", params=params)
        except UpstreamNotFound:
            return Overlay(journey_id=journey_id)
        return Overlay.model_validate(found)
