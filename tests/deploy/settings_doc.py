"""The README's table of settings, made from the settings classes themselves.

    python -m tests.deploy.settings_doc     rewrites the table in README.md

A test checks that the README holds what this would write, so the table cannot fall behind.
"""

import re
from pathlib import Path
from typing import Any

from pydantic import AliasChoices
from pydantic.fields import FieldInfo

from cxshared.settings import ServiceSettings
from feedback.config import Settings as FeedbackSettings
from gateway.config import Settings as GatewaySettings
from journey.config import Settings as JourneySettings
from metrics.config import Settings as MetricsSettings

README = Path(__file__).resolve().parents[2] / "README.md"
START = "<!-- settings: written by python -m tests.deploy.settings_doc -->"
END = "<!-- /settings -->"

SERVICES: dict[str, type[ServiceSettings]] = {
    "journey": JourneySettings,
    "feedback": FeedbackSettings,
    "metrics": MetricsSettings,
    "gateway": GatewaySettings,
}


def env_name(settings: type[ServiceSettings], name: str, field: FieldInfo) -> str:
    """The environment variable that sets the field: an upper-case alias is read without the
    service's prefix (LOG_LEVEL); every other field with it (FEEDBACK_PORT)."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        for choice in alias.choices:
            if isinstance(choice, str) and choice.isupper():
                return choice
    return f"{settings.model_config.get('env_prefix', '')}{name}".upper()


def _default(field: FieldInfo) -> str:
    value: Any = field.get_default(call_default_factory=True)
    return (
        "(none)"
        if value is None
        else f"`{str(value).lower() if value in (True, False) else value}`"
    )


def _row(env: str, field: FieldInfo, default: str | None = None) -> str:
    return f"| `{env}` | {default or _default(field)} | {field.description} |"


def _changed(settings: type[ServiceSettings], name: str) -> bool:
    base = ServiceSettings.model_fields.get(name)
    field = settings.model_fields[name]
    return base is None or field.get_default(call_default_factory=True) != base.get_default(
        call_default_factory=True
    )


def _varies(name: str) -> bool:
    """Whether some service gives a shared setting a default of its own (port, for one)."""
    return any(_changed(settings, name) for settings in SERVICES.values())


def render() -> str:
    header = "| Variable | Default | What it does |\n| --- | --- | --- |"
    common = [
        _row(env_name(JourneySettings, name, field).replace("JOURNEY_", "<SERVICE>_"), field)
        for name, field in ServiceSettings.model_fields.items()
        if not _varies(name)
    ]
    parts = [
        "Every service reads these; `<SERVICE>` is `JOURNEY`, `FEEDBACK`, `METRICS` or `GATEWAY`.",
        "",
        header,
        *common,
    ]
    for service, settings in SERVICES.items():
        own = [
            _row(env_name(settings, name, field), field)
            for name, field in settings.model_fields.items()
            if name not in ServiceSettings.model_fields or _varies(name)
        ]
        parts += ["", f"**{service}**", "", header, *own]
    return "\n".join(parts)


def replace_in(text: str, table: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"README.md has no {START} ... {END} block")
    return pattern.sub(lambda _: f"{START}\n{table}\n{END}", text)


def main() -> None:
    README.write_text(replace_in(README.read_text(), render()))
    print(f"settings table written into {README.name}")


if __name__ == "__main__":
    main()
