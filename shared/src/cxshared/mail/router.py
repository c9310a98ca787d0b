"""`/v1/mail` on a service that mails: whether e-mail is configured, and each message's status."""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlmodel import col

from cxshared.auth import Admin, Reader
from cxshared.deps import SessionDep
from cxshared.mail.models import MailMessage, MailState
from cxshared.mail.settings import MailSettings, parse_from
from cxshared.pagination import Page, PageParams, page_params, paginate


class MailSetup(BaseModel):
    configured: bool = Field(
        description="Whether the service has an SMTP server; when false nothing is queued, and "
        "a UI says that e-mail is not configured.",
        examples=[True],
    )
    from_address: str | None = Field(
        description="The address messages come from.", examples=["surveys@example.com"]
    )
    rate_per_minute: int = Field(description="Most messages each sender sends a minute.")
    counts: dict[MailState, int] = Field(
        description="Messages by state.", examples=[{"queued": 2, "sent": 140, "bounced": 1}]
    )


class MailRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    ref: str | None
    to_address: str
    subject: str
    state: MailState
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_error: str | None = Field(description="What the SMTP server last said, if not 250.")
    sent_at: datetime | None = Field(description="When the SMTP server accepted the message.")
    created_at: datetime


def mail_router() -> APIRouter:
    router = APIRouter(prefix="/v1/mail", tags=["mail"])

    @router.get("", response_model=MailSetup, summary="Whether e-mail is configured, and counts")
    def read_mail_setup(session: SessionDep, _: Reader, request: Request) -> Any:
        settings: MailSettings = request.app.state.settings
        rows = session.execute(
            select(col(MailMessage.state), func.count()).group_by(col(MailMessage.state))
        ).all()
        return MailSetup(
            configured=settings.mail_configured,
            from_address=parse_from(settings.mail_from).addr_spec if settings.mail_from else None,
            rate_per_minute=settings.mail_rate_per_minute,
            counts={MailState(state): count for state, count in rows},
        )

    @router.get(
        "/messages",
        response_model=Page[MailRead],
        summary="Every message and its status; filter by state, kind or what it is about",
    )
    def list_mail(
        session: SessionDep,
        _: Admin,
        params: Annotated[PageParams, Depends(page_params)],
        state: Annotated[MailState | None, Query()] = None,
        kind: Annotated[str | None, Query(max_length=50)] = None,
        ref: Annotated[str | None, Query(max_length=100)] = None,
    ) -> Any:
        stmt = select(MailMessage)
        if state is not None:
            stmt = stmt.where(MailMessage.state == state)  # type: ignore[arg-type]
        if kind is not None:
            stmt = stmt.where(MailMessage.kind == kind)  # type: ignore[arg-type]
        if ref is not None:
            stmt = stmt.where(MailMessage.ref == ref)  # type: ignore[arg-type]
        rows, cursor = paginate(session, stmt, order_by=[MailMessage.id], params=params)
        return Page[MailRead](items=rows, next_cursor=cursor)

    return router
