"""What the gateway asks of a backend that mails (feedback, metrics): whether e-mail is set up,
and how each person is told (docs/email.md, "Notifications")."""

from urllib.parse import quote

from cxshared.client import BackendClient


class MailingClient(BackendClient):
    async def notification_delivery(self, email: str) -> str:
        """How `email` is told by this service: each, digest or off."""
        found = await self.get_json(f"/v1/notification-settings/{quote(email, safe='@')}")
        return str(found["delivery"])

    async def set_notification_delivery(
        self, email: str, delivery: str, *, acting_user: str
    ) -> None:
        await self.request(
            "PUT",
            f"/v1/notification-settings/{quote(email, safe='@')}",
            json={"delivery": delivery},
            acting_user=acting_user,
        )

    async def mail_configured(self) -> bool:
        return bool((await self.get_json("/v1/mail"))["configured"])
