"""A webhook subscriptions router any service mounts, with a delivery log and replay."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import select
from sqlmodel import Session

from cxshared.auth import Admin
from cxshared.concurrency import IfMatch, ensure_fresh, set_etag
from cxshared.deps import SessionDep, outbox_of
from cxshared.events.models import DeliveryState, OutboxDelivery, WebhookSubscription
from cxshared.events.relay import replay
from cxshared.events.signing import new_secret
from cxshared.pagination import Page, PageParams, page_params, paginate
from cxshared.patch import to_patch
from cxshared.problems import Problem
from cxshared.timeutil import utcnow
from cxshared.types import ShortText
from cxshared.url_guard import UnsafeUrl, check_url

ROTATION_GRACE = timedelta(hours=24)


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_id: str
    destination: str
    subscription_id: str | None
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookWithSecret(WebhookRead):
    secret: str = Field(
        description="The signing secret (Standard Webhooks `whsec_…`). Shown only now: keep it."
    )


class SecretRotated(BaseModel):
    secret: str = Field(description="The new signing secret. Shown only now.")
    previous_secret_expires_at: datetime = Field(
        description="Until then, deliveries carry signatures with both the old and the new secret."
    )


def webhooks_router(event_types: Sequence[str], *, allow_private: bool) -> APIRouter:
    """`event_types`: what this service emits; subscriptions may also use `*` and `prefix.*`."""
    allowed = ["*", *sorted({t.split(".", 1)[0] + ".*" for t in event_types}), *event_types]
    EventType = StrEnum("EventType", {value: value for value in allowed})  # type: ignore[misc]
    EventTypes = Annotated[
        list[EventType],
        Field(
            min_length=1,
            max_length=100,
            description="Event types to receive: exact (`touchpoint.updated`), a family "
            "(`touchpoint.*`) or everything (`*`).",
        ),
    ]
    Url = Annotated[
        str,
        Field(
            min_length=8,
            max_length=2000,
            pattern=r"^https?://[^\x00 \t\n\r\f\v]+$",
            description="Where to POST events. Must resolve to public addresses only.",
        ),
    ]

    def _check_url(value: str) -> str:
        try:
            check_url(value, allow_private=allow_private)
        except UnsafeUrl as exc:
            raise PydanticCustomError(
                "unsafe_url", "the URL {reason}", {"reason": str(exc)}
            ) from exc
        return value

    def _unique(values: list[str]) -> list[str]:
        return sorted(set(values), key=str)

    class WebhookCreate(BaseModel):
        model_config = ConfigDict(
            extra="forbid",
            json_schema_extra={
                "examples": [{"url": "https://hooks.example.com/cx", "event_types": ["*"]}]
            },
        )
        url: Url
        event_types: EventTypes
        description: ShortText = ""
        enabled: bool = True

        @field_validator("url")
        @classmethod
        def _url(cls, v: str) -> str:
            return _check_url(v)

        @field_validator("event_types")
        @classmethod
        def _types(cls, v: list[str]) -> list[str]:
            return _unique(v)

    class WebhookUpdate(BaseModel):
        model_config = ConfigDict(extra="forbid")
        url: Url | None = None
        event_types: EventTypes | None = None
        description: ShortText | None = None
        enabled: bool | None = None

        @field_validator("url")
        @classmethod
        def _url(cls, v: str | None) -> str | None:
            return None if v is None else _check_url(v)

        @field_validator("event_types")
        @classmethod
        def _types(cls, v: list[str] | None) -> list[str] | None:
            return None if v is None else _unique(v)

    router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

    def _get(session: Session, webhook_id: str, *, lock: bool = False) -> WebhookSubscription:
        stmt = select(WebhookSubscription).where(WebhookSubscription.id == webhook_id)  # type: ignore[arg-type]
        if lock:
            stmt = stmt.with_for_update()
        found = session.exec(stmt).scalars().first()  # type: ignore[call-overload]
        if found is None:
            raise Problem(404, "not-found", "Not found", f"No webhook subscription {webhook_id}.")
        return found  # type: ignore[no-any-return]

    @router.post(
        "",
        status_code=status.HTTP_201_CREATED,
        response_model=WebhookWithSecret,
        summary="Subscribe a URL to events",
    )
    def create_webhook(
        body: WebhookCreate, session: SessionDep, _: Admin, response: Response
    ) -> Any:
        subscription = WebhookSubscription(**body.model_dump(), secret=new_secret())
        session.add(subscription)
        session.commit()
        set_etag(response, subscription.version)
        return WebhookWithSecret.model_validate(subscription, from_attributes=True)

    @router.get("", response_model=Page[WebhookRead], summary="List webhook subscriptions")
    def list_webhooks(
        session: SessionDep, _: Admin, params: Annotated[PageParams, Depends(page_params)]
    ) -> Any:
        rows, cursor = paginate(
            session, select(WebhookSubscription), order_by=[WebhookSubscription.id], params=params
        )
        return Page[WebhookRead](items=rows, next_cursor=cursor)

    @router.get("/{webhook_id}", response_model=WebhookRead, summary="Read a subscription")
    def get_webhook(webhook_id: str, session: SessionDep, _: Admin, response: Response) -> Any:
        subscription = _get(session, webhook_id)
        set_etag(response, subscription.version)
        return subscription

    @router.patch("/{webhook_id}", response_model=WebhookRead, summary="Change a subscription")
    def update_webhook(
        webhook_id: str,
        body: WebhookUpdate,
        session: SessionDep,
        _: Admin,
        if_match: IfMatch,
        response: Response,
    ) -> Any:
        subscription = _get(session, webhook_id, lock=True)
        ensure_fresh(if_match, version=subscription.version, updated_at=subscription.updated_at)
        for name, value in to_patch(body).items():
            setattr(subscription, name, value)
        subscription.version += 1
        subscription.updated_at = utcnow()
        session.add(subscription)
        session.commit()
        set_etag(response, subscription.version)
        return subscription

    @router.delete(
        "/{webhook_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        summary="Delete a subscription and its pending deliveries",
    )
    def delete_webhook(webhook_id: str, session: SessionDep, _: Admin, if_match: IfMatch) -> None:
        subscription = _get(session, webhook_id, lock=True)
        ensure_fresh(if_match, version=subscription.version)
        session.delete(subscription)
        session.commit()

    @router.post(
        "/{webhook_id}/rotate-secret",
        response_model=SecretRotated,
        summary="Rotate the signing secret (the old one stays valid for 24 hours)",
    )
    def rotate_webhook_secret(webhook_id: str, session: SessionDep, _: Admin) -> Any:
        subscription = _get(session, webhook_id, lock=True)
        subscription.previous_secret = subscription.secret
        subscription.previous_secret_expires_at = utcnow() + ROTATION_GRACE
        subscription.secret = new_secret()
        subscription.version += 1
        subscription.updated_at = utcnow()
        session.add(subscription)
        session.commit()
        return SecretRotated(
            secret=subscription.secret,
            previous_secret_expires_at=subscription.previous_secret_expires_at,
        )

    @router.get(
        "/{webhook_id}/deliveries",
        response_model=Page[DeliveryRead],
        summary="The delivery log of a subscription, newest first",
    )
    def list_webhook_deliveries(
        webhook_id: str,
        session: SessionDep,
        _: Admin,
        params: Annotated[PageParams, Depends(page_params)],
        state: Annotated[DeliveryState | None, Query()] = None,
    ) -> Any:
        _get(session, webhook_id)
        stmt = select(OutboxDelivery).where(OutboxDelivery.subscription_id == webhook_id)  # type: ignore[arg-type]
        if state is not None:
            stmt = stmt.where(OutboxDelivery.state == state)  # type: ignore[arg-type]
        rows, cursor = paginate(session, stmt, order_by=[OutboxDelivery.id], params=params)
        return Page[DeliveryRead](items=rows, next_cursor=cursor)

    @router.post(
        "/{webhook_id}/deliveries/{delivery_id}/replay",
        response_model=DeliveryRead,
        summary="Send a dead or delivered delivery again (same webhook-id)",
    )
    def replay_webhook_delivery(
        webhook_id: str, delivery_id: str, session: SessionDep, _: Admin, request: Request
    ) -> Any:
        delivery = session.get(OutboxDelivery, delivery_id)
        if delivery is None or delivery.subscription_id != webhook_id:
            raise Problem(404, "not-found", "Not found", f"No delivery {delivery_id} here.")
        return _replay(session, delivery, request)

    return router


def _replay(session: Session, delivery: OutboxDelivery, request: Request) -> OutboxDelivery:
    if delivery.state == DeliveryState.PENDING:
        raise Problem(409, "delivery-pending", "Conflict", "This delivery is still in line.")
    replay(session, delivery)
    session.commit()
    outbox_of(request).wakeup.set()
    return delivery


def outbox_router() -> APIRouter:
    router = APIRouter(prefix="/v1/outbox", tags=["outbox"])

    @router.get(
        "/deliveries",
        response_model=Page[DeliveryRead],
        summary="Every delivery (metrics ingest and webhooks); filter dead ones to replay",
    )
    def list_deliveries(
        session: SessionDep,
        _: Admin,
        params: Annotated[PageParams, Depends(page_params)],
        state: Annotated[DeliveryState | None, Query()] = None,
        destination: Annotated[str | None, Query(max_length=100)] = None,
    ) -> Any:
        stmt = select(OutboxDelivery)
        if state is not None:
            stmt = stmt.where(OutboxDelivery.state == state)  # type: ignore[arg-type]
        if destination is not None:
            stmt = stmt.where(OutboxDelivery.destination == destination)  # type: ignore[arg-type]
        rows, cursor = paginate(session, stmt, order_by=[OutboxDelivery.id], params=params)
        return Page[DeliveryRead](items=rows, next_cursor=cursor)

    @router.post(
        "/deliveries/{delivery_id}/replay",
        response_model=DeliveryRead,
        summary="Send a dead or delivered delivery again",
    )
    def replay_delivery(delivery_id: str, session: SessionDep, _: Admin, request: Request) -> Any:
        delivery = session.get(OutboxDelivery, delivery_id)
        if delivery is None:
            raise Problem(404, "not-found", "Not found", f"No delivery {delivery_id}.")
        return _replay(session, delivery, request)

    return router
