"""Every call the gateway makes to the feedback service."""

import time
from typing import Any
from urllib.parse import quote

import httpx

from cxshared.client import UpstreamRateLimited, UpstreamUnavailable
from gateway.clients.mailing import MailingClient
from gateway.clients.models import (
    Case,
    CaseChange,
    CaseContact,
    CaseCounts,
    CaseNote,
    CasePage,
    Invitation,
    InvitationResult,
    PublicSurvey,
    RootCause,
    Submission,
    Survey,
    SurveyResponse,
    Timeline,
)


class FeedbackClient(MailingClient):
    name = "feedback"

    def __init__(self, *, survey_fresh_seconds: float = 2.0, **kwargs: Any) -> None:
        """A survey definition is used `survey_fresh_seconds` without asking; after that it is
        revalidated with its ETag (a 304 costs feedback no rendering, the gateway no parsing)."""
        super().__init__(**kwargs)
        self._fresh_seconds = survey_fresh_seconds
        self._surveys: dict[str, tuple[float, str, PublicSurvey]] = {}

    async def list_surveys(self) -> list[Survey]:
        page = await self.get_json("/v1/surveys", params={"limit": 200})
        return [Survey.model_validate(item) for item in page["items"]]

    async def get_survey(self, survey_id: str) -> Survey:
        return Survey.model_validate(await self.get_json(f"/v1/surveys/{survey_id}"))

    async def create_survey(self, fields: dict[str, Any], *, acting_user: str) -> Survey:
        response = await self.request("POST", "/v1/surveys", json=fields, acting_user=acting_user)
        return Survey.model_validate(response.json())

    async def update_survey(
        self, survey_id: str, *, version: int, changes: dict[str, Any], acting_user: str
    ) -> Survey:
        response = await self.request(
            "PATCH",
            f"/v1/surveys/{survey_id}",
            json=changes,
            if_match=version,
            acting_user=acting_user,
        )
        return Survey.model_validate(response.json())

    async def publish_survey(self, survey_id: str, *, acting_user: str) -> Survey:
        response = await self.request(
            "POST", f"/v1/surveys/{survey_id}/publish", acting_user=acting_user
        )
        return Survey.model_validate(response.json())

    async def email_settings(self, survey_id: str) -> dict[str, Any]:
        """The survey's e-mail delivery: on or off, templates, reminders, and whether the
        service can mail at all (`mail_configured`, `not_configured_reason`)."""
        found: dict[str, Any] = await self.get_json(f"/v1/surveys/{survey_id}/email")
        return found

    async def save_email_settings(
        self, survey_id: str, fields: dict[str, Any], *, acting_user: str
    ) -> dict[str, Any]:
        response = await self.request(
            "PUT", f"/v1/surveys/{survey_id}/email", json=fields, acting_user=acting_user
        )
        saved: dict[str, Any] = response.json()
        return saved

    async def preview_email(
        self, survey_id: str, fields: dict[str, Any] | None, *, acting_user: str
    ) -> dict[str, Any]:
        """The mail as a sample invitee gets it, from `fields` (unsaved) or the saved ones."""
        response = await self.request(
            "POST",
            f"/v1/surveys/{survey_id}/email/preview",
            json={"settings": fields},
            acting_user=acting_user,
        )
        preview: dict[str, Any] = response.json()
        return preview

    async def send_test_email(
        self, survey_id: str, to: str, fields: dict[str, Any] | None, *, acting_user: str
    ) -> dict[str, Any]:
        response = await self.request(
            "POST",
            f"/v1/surveys/{survey_id}/email/test",
            json={"to": to, "settings": fields},
            acting_user=acting_user,
        )
        sent: dict[str, Any] = response.json()
        return sent

    async def list_invitations(self, survey_id: str) -> list[Invitation]:
        page = await self.get_json(f"/v1/surveys/{survey_id}/invitations", params={"limit": 200})
        return [Invitation.model_validate(item) for item in page["items"]]

    async def create_invitations(
        self, survey_id: str, respondents: list[dict[str, Any]], *, acting_user: str
    ) -> InvitationResult:
        response = await self.request(
            "POST",
            f"/v1/surveys/{survey_id}/invitations",
            json={"respondents": respondents},
            acting_user=acting_user,
        )
        return InvitationResult.model_validate(response.json())

    async def list_responses(
        self, params: dict[str, Any]
    ) -> tuple[list[SurveyResponse], str | None]:
        page = await self.get_json("/v1/responses", params=params)
        items = [SurveyResponse.model_validate(item) for item in page["items"]]
        return items, page.get("next_cursor")

    async def get_response(self, response_id: str) -> SurveyResponse:
        return SurveyResponse.model_validate(await self.get_json(f"/v1/responses/{response_id}"))

    async def list_cases(self, params: dict[str, Any]) -> CasePage:
        sent = {k: v for k, v in params.items() if v not in (None, "")}
        return CasePage.model_validate(await self.get_json("/v1/cases", params=sent))

    async def case_counts(self, email: str) -> CaseCounts:
        counts = await self.get_json("/v1/cases/counts", params={"assignee": email})
        return CaseCounts.model_validate(counts)

    async def get_case(self, case_id: str) -> Case:
        return Case.model_validate(await self.get_json(f"/v1/cases/{case_id}"))

    async def create_case(self, fields: dict[str, Any], *, acting_user: str) -> Case:
        response = await self.request("POST", "/v1/cases", json=fields, acting_user=acting_user)
        return Case.model_validate(response.json())

    async def open_outreach(self, fields: dict[str, Any], *, acting_user: str) -> Case:
        """An outreach case for the customer: a new one, or the one being worked already
        (feedback keeps one active per customer)."""
        response = await self.request(
            "POST", "/v1/cases", json={**fields, "source": "outreach"}, acting_user=acting_user
        )
        return Case.model_validate(response.json())

    async def active_outreach(self, external_ids: list[str]) -> dict[str, Case]:
        """The customers' outreach cases being worked, by customer (at most one each)."""
        if not external_ids:
            return {}
        page = await self.list_cases(
            {
                "source": "outreach",
                "active": "true",
                "respondent": external_ids,
                "limit": len(external_ids),
            }
        )
        return {c.respondent_external_id or "": c for c in page.items}

    async def update_case(
        self, case_id: str, *, version: int, changes: dict[str, Any], acting_user: str
    ) -> Case:
        response = await self.request(
            "PATCH",
            f"/v1/cases/{case_id}",
            json=changes,
            if_match=version,
            acting_user=acting_user,
        )
        return Case.model_validate(response.json())

    async def case_notes(self, case_id: str) -> list[CaseNote]:
        return [
            CaseNote.model_validate(n) for n in await self.get_json(f"/v1/cases/{case_id}/notes")
        ]

    async def add_case_note(self, case_id: str, body: str, *, acting_user: str) -> CaseNote:
        response = await self.request(
            "POST", f"/v1/cases/{case_id}/notes", json={"body": body}, acting_user=acting_user
        )
        return CaseNote.model_validate(response.json())

    async def make_follow_up(self, case_id: str, *, acting_user: str) -> dict[str, Any]:
        """A new recovery follow-up link for a resolved case (it retires an earlier one)."""
        response = await self.request(
            "POST", f"/v1/cases/{case_id}/follow-up", acting_user=acting_user
        )
        found: dict[str, Any] = response.json()
        return found

    async def case_contacts(self, case_id: str) -> list[CaseContact]:
        contacts = await self.get_json(f"/v1/cases/{case_id}/contacts")
        return [CaseContact.model_validate(c) for c in contacts]

    async def add_case_contact(
        self, case_id: str, fields: dict[str, Any], *, acting_user: str
    ) -> CaseContact:
        response = await self.request(
            "POST", f"/v1/cases/{case_id}/contacts", json=fields, acting_user=acting_user
        )
        return CaseContact.model_validate(response.json())

    async def case_history(self, case_id: str) -> list[CaseChange]:
        changes = await self.get_json(f"/v1/cases/{case_id}/history")
        return [CaseChange.model_validate(c) for c in changes]

    async def root_causes(self, journey_id: str | None) -> list[RootCause]:
        params = {"journey_id": journey_id} if journey_id else {}
        causes = await self.get_json("/v1/root-causes", params=params)
        return [RootCause.model_validate(c) for c in causes]

    async def respondent_timeline(self, external_id: str, *, limit: int = 50) -> Timeline:
        path = f"/v1/respondents/{quote(external_id, safe='')}/timeline"
        return Timeline.model_validate(await self.get_json(path, params={"limit": limit}))

    async def open_export(self, params: dict[str, Any]) -> httpx.Response:
        """The backend's export, opened as a stream: the caller passes its body on as it
        arrives (never held in memory) and closes it."""
        request = self._http.build_request(
            "GET", "/v1/responses/export", params={k: v for k, v in params.items() if v}
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise UpstreamUnavailable(self.name, "cannot be reached") from exc
        if response.status_code != 200:
            await response.aread()
            await response.aclose()
            raise self._error(response)
        return response

    async def public_survey(self, slug: str) -> PublicSurvey:
        cached = self._surveys.get(slug)
        now = time.monotonic()
        if cached and now - cached[0] < self._fresh_seconds:
            return cached[2]
        headers = {"If-None-Match": cached[1]} if cached else {}
        try:
            response = await self.request("GET", f"/v1/public/surveys/{slug}", headers=headers)
        except (UpstreamUnavailable, UpstreamRateLimited):
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

    async def _public(self, method: str, path: str, *, client: str) -> dict[str, Any]:
        """A public call on the customer's behalf (their address counts against the limits)."""
        response = await self.request(method, path, headers=_forwarded(client))
        found: dict[str, Any] = response.json()
        return found

    async def open_invitation(self, token: str, *, client: str) -> dict[str, Any]:
        return await self._public("POST", f"/v1/public/invitations/{token}/open", client=client)

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

    async def first_answer(self, token: str, value: int, *, client: str) -> Submission:
        """The score clicked in an invitation mail, recorded once per invitation: a click
        after the first returns the response as it is."""
        response = await self.request(
            "POST",
            f"/v1/public/invitations/{token}/first-answer",
            json={"value": value},
            headers=_forwarded(client),
        )
        return Submission.model_validate(response.json())

    async def unsubscribe_info(self, token: str, *, client: str) -> dict[str, Any]:
        """Whom an unsubscribe link is for (partly hidden), and whether they have already."""
        return await self._public("GET", f"/v1/public/unsubscribe/{token}", client=client)

    async def unsubscribe(self, token: str, *, client: str) -> dict[str, Any]:
        return await self._public("POST", f"/v1/public/unsubscribe/{token}", client=client)

    async def mail_opened(self, token: str, *, client: str) -> None:
        await self.request("POST", f"/v1/public/mail-opened/{token}", headers=_forwarded(client))

    async def follow_up(self, token: str, *, client: str) -> dict[str, Any]:
        """A case's recovery follow-up, as its customer sees it."""
        return await self._public("GET", f"/v1/public/case-follow-ups/{token}", client=client)

    async def answer_follow_up(
        self, token: str, *, put_right: bool, score: int | None, client: str
    ) -> dict[str, Any]:
        """Answers it once: a retry returns the first answer."""
        response = await self.request(
            "POST",
            f"/v1/public/case-follow-ups/{token}",
            json={"put_right": put_right, "score": score},
            headers=_forwarded(client),
        )
        found: dict[str, Any] = response.json()
        return found


def _forwarded(client: str) -> dict[str, str]:
    """The respondent's address, so feedback's per-client rate limit counts them and not the
    gateway (feedback trusts it from the gateway's address only)."""
    return {"X-Forwarded-For": client}
