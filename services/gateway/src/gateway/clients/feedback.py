"""Every call the gateway makes to the feedback service."""

import time
from typing import Any

from cxshared.client import BackendClient, UpstreamUnavailable
from gateway.clients.models import PublicSurvey, Submission


class FeedbackClient(BackendClient):
    name = "feedback"

    def __init__(self, *, survey_fresh_seconds: float = 2.0, **kwargs: Any) -> None:
        """A survey definition is used `survey_fresh_seconds` without asking; after that it is
        revalidated with its ETag (a 304 costs feedback no rendering, the gateway no parsing)."""
        super().__init__(**kwargs)
        self._fresh_seconds = survey_fresh_seconds
        self._surveys: dict[str, tuple[float, str, PublicSurvey]] = {}

    async def public_survey(self, slug: str) -> PublicSurvey:
        cached = self._surveys.get(slug)
        now = time.monotonic()
        if cached and now - cached[0] < self._fresh_seconds:
            return cached[2]
        headers = {"If-None-Match": cached[1]} if cached else {}
        try:
            response = await self.request("GET", f"/v1/public/surveys/{slug}", headers=headers)
        except UpstreamUnavailable:
            if cached is None:
                raise
            # Stale if error: the page can still show the question and keep what the person
            # typed; saving it will say plainly that it could not be saved yet.
            return cached[2]
        if response.status_code == 304 and cached:
            survey = cached[2]
        else:
            survey = PublicSurvey.model_validate(response.json())
        self._surveys[slug] = (now, response.headers.get("ETag", ""), survey)
        return survey

    async def open_invitation(self, token: str, *, client: str) -> dict[str, Any]:
        response = await self.request(
            "POST", f"/v1/public/invitations/{token}/open", headers=_forwarded(client)
        )
        opened: dict[str, Any] = response.json()
        return opened

    async def start_response(self, slug: str, body: dict[str, Any], *, client: str) -> Submission:
        response = await self.request(
            "POST", f"/v1/public/surveys/{slug}/responses", json=body, headers=_forwarded(client)
        )
        return Submission.model_validate(response.json())

    async def continue_response(
        self,
        slug: str,
        response_id: str,
        *,
        resume_token: str,
        answers: dict[str, Any],
        complete: bool,
        client: str,
    ) -> Submission:
        response = await self.request(
            "PATCH",
            f"/v1/public/surveys/{slug}/responses/{response_id}",
            json={"answers": answers, "complete": complete},
            headers={"X-Resume-Token": resume_token, **_forwarded(client)},
        )
        return Submission.model_validate(response.json())


def _forwarded(client: str) -> dict[str, str]:
    """The respondent's address, so feedback's per-client rate limit counts them and not the
    gateway (feedback trusts it from the gateway's address only)."""
    return {"X-Forwarded-For": client}
