"""One world per test module (starting four servers is the slow part; each module is an xdist
group, so one worker builds it once); each test makes its own journeys and surveys. A second
origin serves a page that embeds a survey.

Not one world per session: Playwright's sync API runs an event loop on the worker's thread
while Chromium is open, and a later test of the same worker could not run asyncio.run()."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxshared.testing.databases import DatabaseFactory, backend
from tests.browser.world import HostPage, World, running_world


BROWSER = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests check what a browser shows and does; the services under the pages are the
    same code on either database, and every API the pages call is tested on both. So they run
    once, on SQLite (as `make test` does by default), and the PostgreSQL suite skips them,
    unless CX_BROWSER_ON_POSTGRESQL=1."""
    if backend() != "postgresql" or os.environ.get("CX_BROWSER_ON_POSTGRESQL") == "1":
        return
    skip = pytest.mark.skip(reason="browser tests run on SQLite (CX_BROWSER_ON_POSTGRESQL=1)")
    for item in items:
        if item.path.is_relative_to(BROWSER):
            item.add_marker(skip)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("browser-logs"), database_factory_for) as world:
        yield world


@pytest.fixture(scope="module")
def host_page() -> Iterator[HostPage]:
    server = HostPage()
    yield server
    server.shutdown()
