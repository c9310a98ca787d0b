"""What the deployment files are checked against: each service's settings and command line."""

from pathlib import Path

import pytest

import feedback.config
import gateway.cli
import gateway.config
import journey.config
import metrics.cli
import metrics.config
from cxshared.cli import build_parser
from cxshared.mail import mailbox

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    "journey": journey.config.Settings,
    "feedback": feedback.config.Settings,
    "metrics": metrics.config.Settings,
    "gateway": gateway.config.Settings,
}
BACKENDS = ("journey", "feedback", "metrics")
PARSERS = {
    "journey": lambda: build_parser("journey"),
    "feedback": lambda: build_parser("feedback"),
    "metrics": lambda: build_parser("metrics", metrics.cli.COMMANDS),
    "gateway": lambda: build_parser("gateway", gateway.cli.COMMANDS, api_keys=False),
    "mailbox": mailbox.build_parser,
}
SHARED_ENVIRONMENT = {"CX_SECRETS_DIR", "LOG_FORMAT", "LOG_LEVEL"}
# The keys infra/setup.sh makes, by the names services read them under (variable or file).
API_KEYS = {
    "journey_ingest_api_key",
    "feedback_ingest_api_key",
    "journey_feedback_ingest_api_key",
} | {f"gateway_{s}_api_key" for s in BACKENDS}


def parses(command: list[str]) -> str:
    """The service a `cx-<service> …` command belongs to, once its parser accepts it."""
    service = command[0].removeprefix("cx-")
    assert service in PARSERS, command
    try:
        PARSERS[service]().parse_args(command[1:])
    except SystemExit as exit_:
        pytest.fail(f"cx-{service} refuses {command[1:]} ({exit_})")
    return service


def setting_of(name: str) -> tuple[str, str]:
    """JOURNEY_INGEST_URL -> (journey, ingest_url), or a failure naming the variable."""
    for service, settings in SETTINGS.items():
        prefix = f"{service.upper()}_"
        if name.upper().startswith(prefix):
            field = name[len(prefix) :].lower()
            assert field in settings.model_fields, f"{name}: {service} has no setting {field}"
            return service, field
    pytest.fail(f"{name} is no service's setting")
