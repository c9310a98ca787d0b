"""What every page needs: the backends, fetched concurrently, and what is missing said plainly."""

import asyncio
from collections.abc import Awaitable
from typing import Any

from cxshared.client import UpstreamUnavailable


class Parts:
    """The answers of several backend calls; a call whose backend was down is None, and the
    page names it among `missing`."""

    def __init__(self, results: dict[str, Any], missing: dict[str, str]) -> None:
        self._results = results
        self.missing = missing  # backend -> what it said

    def __getitem__(self, name: str) -> Any:
        return self._results[name]

    def names(self) -> list[str]:
        return list(self._results)

    def notices(self) -> list[str]:
        return [
            f"The {backend} service {detail}, so what it holds is missing from this page."
            for backend, detail in sorted(self.missing.items())
        ]


async def fetch(**calls: Awaitable[Any]) -> Parts:
    """Runs the calls at once. A backend that is down, slow or failing leaves its part None;
    any other error (not found, invalid) is raised."""
    results = await asyncio.gather(*calls.values(), return_exceptions=True)
    got: dict[str, Any] = {}
    missing: dict[str, str] = {}
    for name, result in zip(calls, results, strict=True):
        if isinstance(result, UpstreamUnavailable):
            missing[result.backend] = result.detail
            got[name] = None
        elif isinstance(result, BaseException):
            raise result
        else:
            got[name] = result
    return Parts(got, missing)
