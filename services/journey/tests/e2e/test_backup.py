"""Backup then restore gives back the same data (every service has these commands; they are
shared, so journey stands for all)."""

from cxshared.testing.processes import run_command


def cx_journey(database_url, *args, stdin=None):
    return run_command("journey", database_url, *args, stdin=stdin)


def snapshot(api):
    teams = api.get("/v1/teams").json()["items"]
    journeys = api.get("/v1/journeys").json()["items"]
    documents = [api.get(f"/v1/journeys/{j['id']}/document").json() for j in journeys]
    return teams, documents


def test_backup_then_restore_gives_back_the_same_data(api, database_url, tmp_path):
    team = api.created("/v1/teams", {"name": "Logistics"})
    api.created(
        "/v1/journeys/documents",
        {"name": "Delivery", "stages": [{"name": "Deliver", "touchpoints": [
            {"name": "Courier", "channel": "field", "interaction": "human",
             "owner_team_id": team["id"], "standard": "Rings the bell <b>twice</b>"}]}]},
    )  # fmt: skip
    before = snapshot(api)
    file = tmp_path / "journey.backup"
    made = cx_journey(database_url, "backup", str(file))
    assert made.returncode == 0, made.stderr
    assert file.stat().st_size > 0

    api.created("/v1/teams", {"name": "Added after the backup"})
    journey_id = before[1][0]["id"]
    renamed = api.patch(
        f"/v1/journeys/{journey_id}", {"name": "Changed"}, headers={**api.writer, "If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert snapshot(api) != before

    restored = cx_journey(database_url, "restore", str(file))
    assert restored.returncode == 0, restored.stderr
    assert snapshot(api) == before
    # The restored database is at the schema head: the service starts on it.
    assert cx_journey(database_url, "list-api-keys").returncode == 0


def test_a_missing_backup_is_refused_and_changes_nothing(api, database_url, tmp_path):
    api.created("/v1/teams", {"name": "Logistics"})
    refused = cx_journey(database_url, "restore", str(tmp_path / "nothing.backup"))
    assert refused.returncode == 1 and "no backup at" in refused.stderr
    assert [t["name"] for t in api.get("/v1/teams").json()["items"]] == ["Logistics"]
