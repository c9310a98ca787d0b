"""The four services and Chromium for the browser tests. Starting the services is the slow
part: the modules whose tests each make their own journeys and surveys share one set (they form
the xdist group "browser", so one worker starts it once); a module that counts what the whole
world holds has its own. Chromium is per module: Playwright's sync API runs an event loop on the
worker's thread while it is open, and a later test of that worker could not run asyncio.run().
A second origin serves a page that embeds a survey."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxshared.testing.databases import DatabaseFactory, backend
from tests.browser.world import HostPage, World, running_world, with_chromium

BROWSER = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests check what a browser shows and does; the services under the pages are the
    same code on either database, and every API the pages call is tested on both. So they run
    once, on SQLite (as `make test` does by default), and the PostgreSQL suite skips them,
    unless CX_BROWSER_ON_POSTGRESQL=1. Every browser module names its xdist group (see world)."""
    ours = [item for item in items if item.path.is_relative_to(BROWSER)]
    for item in ours:
        if item.get_closest_marker("xdist_group") is None:
            raise pytest.UsageError(f"{item.path.name}: a browser module needs an xdist_group")
    if backend() != "postgresql" or os.environ.get("CX_BROWSER_ON_POSTGRESQL") == "1":
        return
    skip = pytest.mark.skip(reason="browser tests run on SQLite (CX_BROWSER_ON_POSTGRESQL=1)")
    for item in ours:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_servers(
    tmp_path_factory: pytest.TempPathFactory,
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[World]:
    """The four services, for every module that makes its own journeys and surveys (all in the
    xdist group "browser", so one worker starts them once)."""
    logs = tmp_path_factory.mktemp("browser-logs")
    with running_world(logs, database_factory_for, browser=False) as world:
        yield world


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[World]:
    """The shared servers with a browser of the module's own; a module that counts what the
    whole world holds (`OWN_WORLD = True`, with an xdist group of its own) gets its own
    servers too."""
    if getattr(request.module, "OWN_WORLD", False):
        logs = tmp_path_factory.mktemp("browser-logs")
        with running_world(logs, database_factory_for) as world:
            yield world
        return
    with with_chromium(request.getfixturevalue("shared_servers")) as world:
        yield world


@pytest.fixture(scope="module")
def host_page() -> Iterator[HostPage]:
    server = HostPage()
    yield server
    server.shutdown()
