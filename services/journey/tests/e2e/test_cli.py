"""The command line, as an operator uses it."""

import json

import httpx
import pytest

from cxshared.testing.processes import run_command

pytestmark = pytest.mark.long


def cx_journey(database_url, *args, stdin=None):
    return run_command("journey", database_url, *args, stdin=stdin)


def test_create_use_list_and_revoke_a_key(database_url, live_journey):
    created = cx_journey(database_url, "create-api-key", "--name", "ops", "--scope", "read")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("cxk_") and len(key) >= 4 + 43  # 256 random bits, base64url
    server = live_journey("serve")
    assert (
        httpx.get(
            f"{server.base_url}/v1/journeys", headers={"Authorization": f"Bearer {key}"}
        ).status_code
        == 200
    )

    listed = cx_journey(database_url, "list-api-keys")
    assert "ops" in listed.stdout and key not in listed.stdout and key[:12] in listed.stdout

    revoked = cx_journey(database_url, "revoke-api-key", "ops")
    assert revoked.returncode == 0
    assert (
        httpx.get(
            f"{server.base_url}/v1/journeys", headers={"Authorization": f"Bearer {key}"}
        ).status_code
        == 401
    )
    assert cx_journey(database_url, "revoke-api-key", "nobody").returncode == 1


def test_a_kept_key_is_reused_while_live_and_replaced_once_revoked(database_url, tmp_path):
    path = tmp_path / "keys" / "relays.key"
    args = ("create-api-key", "--name", "relays", "--scope", "read", "--file", str(path))
    first = cx_journey(database_url, *args)
    assert first.returncode == 0 and first.stdout.startswith("created"), first.stderr
    key = path.read_text().strip()
    assert key.startswith("cxk_") and key not in first.stdout
    assert path.stat().st_mode & 0o777 == 0o600
    again = cx_journey(database_url, *args)
    assert again.stdout.startswith("kept") and path.read_text().strip() == key

    cx_journey(database_url, "revoke-api-key", "relays")
    replaced = cx_journey(database_url, *args)
    assert replaced.stdout.startswith("created") and path.read_text().strip() != key
    wider = cx_journey(database_url, *args, "--scope", "write")  # other scopes: a new key
    assert wider.stdout.startswith("created")
    live = [line for line in cx_journey(database_url, "list-api-keys").stdout.splitlines()]
    assert [line.split()[-1] for line in live if "relays" in line].count("live") == 1


def test_bad_arguments_are_one_clear_line(database_url):
    result = cx_journey(database_url, "create-api-key", "--name", " ", "--scope", "read")
    assert result.returncode == 2
    assert result.stderr.strip() == "cx-journey create-api-key: a key needs a name"
    bad_scope = cx_journey(database_url, "create-api-key", "--name", "x", "--scope", "root")
    assert bad_scope.returncode == 2
    assert "invalid choice" in bad_scope.stderr


def test_json_logs_carry_the_request_id_across_a_request(api, live_journey, tmp_path):
    server = live_journey("serve")
    response = httpx.get(
        f"{server.base_url}/v1/journeys", headers={**api.reader, "X-Request-ID": "trace-0123456789"}
    )
    assert response.headers["x-request-id"] == "trace-0123456789"
    server.stop()
    lines = [
        json.loads(line)
        for line in server.log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    completed = [line for line in lines if line.get("event") == "request.completed"]
    ours = [line for line in completed if line.get("request_id") == "trace-0123456789"]
    assert len(ours) == 1
    assert ours[0]["status"] == 200 and ours[0]["path"] == "/v1/journeys"
    assert "duration_ms" in ours[0]
    # uvicorn's own lines come through the same JSON formatter.
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines)
