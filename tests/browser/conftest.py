"""One world per test module (starting four servers is the slow part; each module is an xdist
group, so one worker builds it once); each test makes its own journeys and surveys. A second
origin serves a page that embeds a survey.

Not one world per session: Playwright's sync API runs an event loop on the worker's thread
while Chromium is open, and a later test of the same worker could not run asyncio.run()."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxshared.testing.databases import DatabaseFactory
from tests.browser.world import HostPage, World, running_world


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
