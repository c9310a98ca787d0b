"""An opportunity's evidence: typed references to responses, themes, cases, incidents and
findings, with a count and a sample; older bare response ids still accepted and migrated."""

import json

from alembic import command
from sqlalchemy import text

from cxshared.db import make_engine
from cxshared.migrations import alembic_config
from journey.config import MIGRATIONS

BEFORE_TYPED_EVIDENCE = "dff4c4a5214a"


def ref(kind: str, id_: str, label: str = "") -> dict[str, str]:
    return {"kind": kind, "id": id_, "label": label}


def add(api, journey_map, evidence):
    return api.post(
        f"/v1/touchpoints/{journey_map['courier']['id']}/opportunities",
        {"title": "Padded boxes", "kind": "pain_point", "evidence": evidence},
    )


def test_typed_references_are_kept_with_a_count_and_a_sample_of_each_kind(api, journey_map):
    evidence = [
        "resp-1",
        ref("response", "resp-2", "Box crushed"),
        ref("response", "resp-1"),  # the bare id above, given again
        ref("case", "case-1"),
        ref("theme", "theme-1", "Damaged items"),
        ref("incident", "inc-1"),
        ref("finding", "find-1", "Customers call before the courier comes"),
    ]
    created = add(api, journey_map, evidence)
    assert created.status_code == 201, created.text
    body = api.get(f"/v1/opportunities/{created.json()['id']}").json()
    assert body["evidence"] == [
        ref("response", "resp-1"),
        ref("response", "resp-2", "Box crushed"),
        ref("case", "case-1"),
        ref("theme", "theme-1", "Damaged items"),
        ref("incident", "inc-1"),
        ref("finding", "find-1", "Customers call before the courier comes"),
    ]
    assert body["evidence_count"] == 6
    assert body["evidence_sample"] == [
        ref("response", "resp-1"),
        ref("case", "case-1"),
        ref("theme", "theme-1", "Damaged items"),
    ]


def test_evidence_is_replaced_by_a_patch_and_recorded_in_the_history(api, journey_map):
    opportunity = add(api, journey_map, ["resp-1"]).json()
    url = f"/v1/opportunities/{opportunity['id']}"
    patched = api.patch(url, {"evidence": [ref("theme", "theme-9", "Late courier")]})
    assert patched.status_code == 200
    assert patched.json()["evidence"] == [ref("theme", "theme-9", "Late courier")]
    assert patched.json()["evidence_sample"] == [ref("theme", "theme-9", "Late courier")]
    [update, _] = api.get("/v1/history", params={"entity_id": opportunity["id"]}).json()["items"]
    assert update["changes"]["evidence"] == {
        "before": [ref("response", "resp-1")],
        "after": [ref("theme", "theme-9", "Late courier")],
    }
    cleared = api.patch(url, {"evidence": []}).json()
    assert (cleared["evidence"], cleared["evidence_count"], cleared["evidence_sample"]) == (
        [],
        0,
        [],
    )


def test_an_unknown_kind_or_a_missing_id_names_the_failing_reference(api, journey_map):
    for bad in ({"kind": "rumour", "id": "x"}, {"kind": "case"}, {"kind": "case", "id": ""}):
        refused = add(api, journey_map, ["resp-1", bad])
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
        assert all(e["field"].startswith("evidence[1]") for e in refused.json()["errors"])


def test_the_migration_turns_response_ids_into_references_and_back(api, journey_map):
    opportunity = add(
        api, journey_map, [ref("response", "resp-1"), ref("theme", "t-1"), "resp-2"]
    ).json()
    url = api.client.app.state.settings.database_url
    config = alembic_config(MIGRATIONS, url)
    api.client.app.state.engine.dispose()
    engine = make_engine(url, pool_size=1)

    def stored() -> list:
        with engine.connect() as connection:
            value = connection.execute(
                text("SELECT evidence FROM opportunity WHERE id = :id"), {"id": opportunity["id"]}
            ).scalar_one()
        return json.loads(value) if isinstance(value, str) else value

    try:
        command.downgrade(config, BEFORE_TYPED_EVIDENCE)
        assert stored() == ["resp-1", "resp-2"]  # a theme has no place among response ids
        command.upgrade(config, "head")
        assert stored() == [ref("response", "resp-1"), ref("response", "resp-2")]
    finally:
        engine.dispose()
