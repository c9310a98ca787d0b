"""pytest plugin: `database_factory_for` gives each service suite fresh migrated databases;
tests get their tier from where they live, and the PostgreSQL run skips those that use no
database (docs/platform.md, "Tests")."""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxshared.mail.mailbox import MailboxServer
from cxshared.testing.databases import DatabaseFactory, backend
from cxshared.testing.mail import running_mailbox
from cxshared.testing.processes import LiveServices


@pytest.fixture(scope="session")
def database_factory_for(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str, Path], DatabaseFactory]]:
    factories: dict[str, DatabaseFactory] = {}
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    workdir = tmp_path_factory.mktemp("databases")

    def get(service: str, script_location: Path) -> DatabaseFactory:
        if service not in factories:
            factories[service] = DatabaseFactory(
                service=service, script_location=script_location, workdir=workdir, worker=worker
            )
        return factories[service]

    yield get
    for factory in factories.values():
        factory.close()


@pytest.fixture
def live_services(tmp_path: Path) -> Iterator[LiveServices]:
    """Starts real service processes (`live_services.start("metrics", env=...)`) and stops
    them when the test ends."""
    services = LiveServices(tmp_path)
    yield services
    services.stop_all()


@pytest.fixture
def mailbox() -> Iterator[MailboxServer]:
    """The local SMTP server that keeps every message (`cx-mailbox`), on a free loopback port:
    `mailbox.url` for a service's SMTP_URL, `mailbox.mailbox.wait_for(n)` for what arrived."""
    with running_mailbox() as server:
        yield server


def pytest_configure(config: pytest.Config) -> None:
    for tier, what in TIERS.items():
        config.addinivalue_line("markers", f"{tier}: {what}")
    config.addinivalue_line(
        "markers", "databases: uses a database without `database_factory_for`; runs on both"
    )


# A test's tier is the folder it lives in (a marker of its own overrides it).
TIERS = {
    "unit": "pure functions and single classes: no database, no server",
    "api": "an app in-process on a real database, through its HTTP interface",
    "process": "real processes: servers, relays, command lines",
    "browser": "pages in a real headless Chromium",
}
_FOLDERS = {
    "unit": "unit",
    "api": "api",
    "contract": "api",
    "integration": "api",
    "e2e": "process",
    "deploy": "process",
    "browser": "browser",
}


def _tier(item: pytest.Item) -> str:
    for tier in TIERS:
        if item.get_closest_marker(tier):
            return tier
    for folder in reversed(item.path.parent.parts):
        if folder in _FOLDERS:
            return _FOLDERS[folder]
    return "process" if item.get_closest_marker("slow") else "api"


def uses_database(item: pytest.Item) -> bool:
    """Whether the database under test matters to `item`: it takes its databases from
    `database_factory_for` (directly or through a fixture), or says so with `databases`."""
    names = getattr(item, "fixturenames", ())
    return "database_factory_for" in names or item.get_closest_marker("databases") is not None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tiers by folder. On PostgreSQL, a test that uses no database is skipped: the SQLite run
    has run the very same code. Then longest first: the modules that start their own servers
    (an xdist group), then those marked long, then those marked slow, each module kept whole;
    so two workers finish together instead of one starting a long module while the other has
    nothing left."""
    once = pytest.mark.skip(reason="uses no database: runs in the SQLite suite only")
    for item in items:
        item.add_marker(_tier(item))
        if backend() == "postgresql" and not uses_database(item):
            item.add_marker(once)
    weights: dict[str, int] = {}
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        weight = next(
            (rank for rank, mark in enumerate(_LONGEST_FIRST) if item.get_closest_marker(mark)),
            len(_LONGEST_FIRST),
        )
        weights[module] = min(weight, weights.get(module, weight))
    items.sort(key=lambda item: weights[item.nodeid.split("::", 1)[0]])


_LONGEST_FIRST = ("xdist_group", "long", "slow")
