"""Numbers in request bodies are never booleans: JSON's true and false are not read as 1 and 0.

Pydantic's lax mode takes `true` for an int, so `{"nps": true}` was stored as an NPS of 1. Every
integer a backend reads from a JSON body must refuse booleans (`cxshared.types.WholeNumber`, or
`refuse_booleans` before it) and every float must be strict (`Field(strict=True)`); this walks
each route's body schema to keep it so."""

from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from cxshared.testing.dependencies import route_dependants
from cxshared.types import WholeNumber, refuse_booleans
from feedback.config import Settings as FeedbackSettings
from feedback.main import create_app as feedback_app
from journey.config import Settings as JourneySettings
from journey.main import create_app as journey_app
from metrics.config import Settings as MetricsSettings
from metrics.main import create_app as metrics_app

APPS = {
    "journey": (journey_app, JourneySettings),
    "feedback": (feedback_app, FeedbackSettings),
    "metrics": (metrics_app, MetricsSettings),
}


def _refuses_booleans(schema: dict[str, Any]) -> bool:
    function = schema.get("function")
    validator = function.get("function") if isinstance(function, dict) else None
    return schema.get("type") == "function-before" and validator is refuse_booleans


def lax_numbers(schema: Any, path: str, guarded: bool = False) -> list[str]:
    """Paths in a pydantic-core schema to int and float validators that would take a boolean:
    neither strict nor behind `refuse_booleans`."""
    found = []
    if isinstance(schema, dict):
        guarded = guarded or _refuses_booleans(schema)
        if schema.get("type") in ("int", "float") and not (schema.get("strict") or guarded):
            found.append(path)
        for key, value in schema.items():
            if key not in ("metadata", "cls", "ref", "serialization"):
                found += lax_numbers(value, f"{path}.{key}" if key != "schema" else path, guarded)
    elif isinstance(schema, list):
        for item in schema:
            found += lax_numbers(item, path, guarded)
    return found


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_number_in_a_request_body_is_strict(service: str, tmp_path: Path) -> None:
    create_app, settings = APPS[service]
    app = create_app(settings(database_url=f"sqlite:///{tmp_path}/{service}.db"))
    bodies = [b for d in route_dependants(app.routes) for b in d.body_params]
    assert bodies, "no route takes a body: the walk found nothing to check"
    lax = {}
    for body in bodies:
        annotation = body.field_info.annotation
        if found := lax_numbers(TypeAdapter(annotation).core_schema, ""):
            lax[getattr(annotation, "__name__", str(annotation))] = sorted(set(found))
    assert lax == {}


def test_the_walk_finds_a_lax_number() -> None:
    from pydantic import BaseModel, Field

    class Body(BaseModel):
        whole: WholeNumber
        strict: float = Field(strict=True)
        lax: list[float | None]

    assert lax_numbers(TypeAdapter(Body).core_schema, "") == [".fields.lax.items_schema"]
