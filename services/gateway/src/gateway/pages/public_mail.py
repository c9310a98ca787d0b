"""Where the links in a survey's invitation mail lead (docs/email.md): `/u/{token}` stops all
survey mail to the person, `/o/{token}.gif` is the tracking pixel of a survey that opted in.
The score links (`/s/{slug}?t=…&score=n`) are the survey page's (pages.public_survey).

Mail scanners open every link in a message: reading `/u/{token}` changes nothing; only its
POST unsubscribes, which is what a mail client's one-click unsubscribe sends (RFC 8058:
`List-Unsubscribe=One-Click`, no cookie, no token of ours but the one in the address)."""

import base64
import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cxshared.client import UpstreamError, UpstreamNotFound
from gateway.pages.common import UNAVAILABLE, FeedbackFor, customer_page

router = APIRouter()

NOT_VALID = "This unsubscribe link is not valid. If you were sent it, please reply to the message."
DONE = "Done: we will send no more survey e-mail to {address}."
ALREADY = "{address} gets no survey e-mail from us already. Nothing more to do."
# The smallest transparent GIF: one pixel, one colour.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _page(
    request: Request, *, message: str = "", token: str = "", address: str = "", status_code: int
) -> Response:
    return customer_page(
        request,
        None,
        "public/unsubscribe.html",
        {"title": "Survey e-mail", "message": message, "token": token, "address": address},
        status_code=status_code,
    )


@router.get("/u/{token}")
async def unsubscribe_page(request: Request, feedback: FeedbackFor, token: str) -> Response:
    try:
        found = await feedback.client.unsubscribe_info(token, client=feedback.address)
    except UpstreamNotFound:
        return _page(request, message=NOT_VALID, status_code=404)
    except UpstreamError:
        return _page(request, message=UNAVAILABLE, status_code=503)
    address = found.get("address") or "this address"
    if found.get("unsubscribed"):
        return _page(request, message=ALREADY.format(address=address), status_code=200)
    return _page(request, token=token, address=address, status_code=200)


@router.post("/u/{token}")
async def unsubscribe(request: Request, feedback: FeedbackFor, token: str) -> Response:
    try:
        found = await feedback.client.unsubscribe_info(token, client=feedback.address)
        await feedback.client.unsubscribe(token, client=feedback.address)
    except UpstreamNotFound:
        return _page(request, message=NOT_VALID, status_code=404)
    except UpstreamError:
        # A mail client's one-click request sees the status: 503 tells it to try again.
        return _page(request, message=UNAVAILABLE, status_code=503)
    address = found.get("address") or "this address"
    return _page(request, message=DONE.format(address=address), status_code=200)


@router.get("/o/{token}.gif")
async def mail_opened(request: Request, feedback: FeedbackFor, token: str) -> Response:
    """The pixel is shown whatever happens: a broken image in someone's mail helps nobody."""
    with contextlib.suppress(UpstreamError):
        await feedback.client.mail_opened(token, client=feedback.address)
    return Response(
        PIXEL,
        media_type="image/gif",
        headers={"Cache-Control": "no-store, private", "Referrer-Policy": "no-referrer"},
    )
