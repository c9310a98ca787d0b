"""No dependency of a backend is sent to a worker thread unless it has to be."""

from pathlib import Path

import pytest

from cxshared.testing.dependencies import threaded_dependencies
from feedback.config import Settings as FeedbackSettings
from feedback.main import create_app as feedback_app
from journey.config import Settings as JourneySettings
from journey.main import create_app as journey_app
from metrics.config import Settings as MetricsSettings
from metrics.main import create_app as metrics_app

# These wait on the database, so a worker thread is where they belong.
DATABASE = {"cxshared.auth.authenticate", "cxshared.deps.request_session"}
APPS = {
    "journey": (journey_app, JourneySettings),
    "feedback": (feedback_app, FeedbackSettings),
    "metrics": (metrics_app, MetricsSettings),
}


@pytest.mark.parametrize("service", sorted(APPS))
def test_only_dependencies_that_wait_run_in_a_worker_thread(service: str, tmp_path: Path) -> None:
    # A dependency that only reads the request costs a thread hop (and a wait for the
    # interpreter lock) per request as a plain function, nothing as an async one.
    create_app, settings = APPS[service]
    app = create_app(settings(database_url=f"sqlite:///{tmp_path}/{service}.db"))
    assert threaded_dependencies(app) == DATABASE
