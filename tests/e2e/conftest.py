"""The fault suites' world, one per test module: the four services with feedback's relays left
to the tests (to kill them) and a webhook receiver subscribed to response events. A module that
wants another world (test_four_services) defines its own `world`."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.receiver import Receiver
from tests.browser.world import World
from tests.e2e.faults import fault_world, subscribed_receiver


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    database_factory_for: Callable[[str, Path], DatabaseFactory],
) -> Iterator[World]:
    logs = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])
    with fault_world(logs, database_factory_for) as world:
        yield world


@pytest.fixture(scope="module")
def receiver(world: World) -> Iterator[Receiver]:
    with subscribed_receiver(world) as server:
        yield server
