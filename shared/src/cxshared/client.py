"""The base of every typed HTTP client one cxloop service keeps for another.

It forwards the current request id (so one id follows a request across services), names the
acting staff user where the caller gives one, and turns answers into one of four errors that a
caller can act on: not found, invalid (with the backend's field errors), conflict (with the
backend's problem, e.g. a stale version), unavailable (down, slow, or failing).
"""

from collections.abc import Mapping
from typing import Any

import httpx
import structlog
from pydantic import SecretStr

from cxshared.auth import ACTING_USER_HEADER

log = structlog.get_logger("cxshared.client")


class UpstreamError(Exception):
    def __init__(self, backend: str, detail: str, problem: Mapping[str, Any] | None = None):
        super().__init__(f"{backend}: {detail}")
        self.backend = backend
        self.detail = detail
        self.problem: Mapping[str, Any] = problem or {}


class UpstreamNotFound(UpstreamError):
    pass


class UpstreamInvalid(UpstreamError):
    @property
    def field_errors(self) -> dict[str, str]:
        """The backend's failing fields by their path (`targets[0].nps.value`), each with its
        message."""
        errors: dict[str, str] = {}
        for error in self.problem.get("errors") or []:
            field = str(error.get("field") or "")
            errors.setdefault(field, str(error.get("message") or "is not valid"))
        return errors


class UpstreamConflict(UpstreamError):
    """412 (a stale version) or 409 (the resource's state forbids the change)."""


class UpstreamUnavailable(UpstreamError):
    pass


class UpstreamRateLimited(UpstreamError):
    """429: the backend asks the caller's client to slow down."""

    @property
    def retry_after(self) -> int:
        value = str(self.problem.get("retry_after", "60"))
        return int(value) if value.isdigit() else 60


class BackendClient:
    """One backend: its base URL, its API key, and a shared connection pool."""

    name = "backend"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: SecretStr | None,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        # Uncompressed: services talk on one host or network, where compressing an answer costs
        # both ends more time than the bytes it saves (docs/platform.md).
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        acting_user: str | None = None,
        if_match: int | str | None = None,
        headers: Mapping[str, str] | None = None,
        time_limit: float | None = None,
    ) -> httpx.Response:
        """One call; `time_limit` (seconds) replaces the client's timeout for a call known to
        take longer."""
        sent = dict(headers or {})
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            sent["X-Request-ID"] = request_id
        if acting_user is not None:
            sent[ACTING_USER_HEADER] = acting_user
        if if_match is not None:
            sent["If-Match"] = f'"{if_match}"'
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        try:
            response = await self._http.request(
                method,
                path,
                params=clean,
                json=json,
                headers=sent,
                timeout=httpx.USE_CLIENT_DEFAULT if time_limit is None else time_limit,
            )
        except httpx.TimeoutException as exc:
            raise UpstreamUnavailable(self.name, "did not answer in time") from exc
        except httpx.HTTPError as exc:
            log.warning("upstream.unreachable", backend=self.name, error=type(exc).__name__)
            raise UpstreamUnavailable(self.name, "cannot be reached") from exc
        if response.is_success or response.status_code == 304:
            return response
        raise self._error(response)

    async def get_json(self, path: str, **kwargs: Any) -> Any:
        return (await self.request("GET", path, **kwargs)).json()

    def _error(self, response: httpx.Response) -> UpstreamError:
        try:
            problem = response.json()
        except ValueError:
            problem = {}
        if not isinstance(problem, dict):
            problem = {}
        detail = str(problem.get("detail") or problem.get("title") or response.reason_phrase)
        status = response.status_code
        if status == 404:
            return UpstreamNotFound(self.name, detail, problem)
        if status in (409, 412):
            return UpstreamConflict(self.name, detail, problem)
        if status in (400, 422):
            return UpstreamInvalid(self.name, detail, problem)
        if status == 429:
            retry_after = response.headers.get("Retry-After", "60")
            return UpstreamRateLimited(self.name, detail, {**problem, "retry_after": retry_after})
        log.warning("upstream.failed", backend=self.name, status=status, detail=detail)
        return UpstreamUnavailable(self.name, f"answered {status}: {detail}", problem)
