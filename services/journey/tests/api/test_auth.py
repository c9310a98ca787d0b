"""API keys: header only, scopes, revocation, and the acting user only for gateway keys."""

from cxshared.auth import revoke_api_key
from cxshared.db import make_engine


def test_no_key_is_401_with_a_problem(api):
    response = api.client.get("/v1/journeys")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert (
        api.client.get("/v1/journeys", headers={"Authorization": "Bearer cxk_nope"}).status_code
        == 401
    )
    assert api.client.get("/v1/journeys", headers={"Authorization": "Basic abc"}).status_code == 401


def test_keys_in_the_query_string_are_refused(api):
    key = api.reader["Authorization"].removeprefix("Bearer ")
    response = api.client.get("/v1/journeys", params={"api_key": key})
    assert response.status_code == 400
    assert response.json()["type"] == "urn:cxloop:problem:credentials-in-query"
    # Even alongside a valid header: a key in a URL is a leak to refuse, not to ignore.
    response = api.client.get("/v1/journeys", params={"token": key}, headers=api.reader)
    assert response.status_code == 400


def test_scopes_are_enforced(api):
    assert api.get("/v1/journeys", headers=api.reader).status_code == 200
    denied = api.post("/v1/journeys", {"name": "X"}, headers=api.reader)
    assert denied.status_code == 403
    assert denied.json()["type"] == "urn:cxloop:problem:insufficient-scope"
    assert api.post("/v1/journeys", {"name": "X"}, headers=api.writer).status_code == 201
    assert api.get("/v1/webhooks", headers=api.writer).status_code == 403
    assert api.get("/v1/webhooks", headers=api.admin).status_code == 200


def test_revoked_key_is_refused_at_once(api):
    assert api.get("/v1/journeys", headers=api.reader).status_code == 200
    engine = make_engine(api.database_url, pool_size=1)
    assert revoke_api_key(engine, name_or_id="dashboard") == 1
    engine.dispose()
    response = api.get("/v1/journeys", headers=api.reader)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_acting_user_header_needs_a_gateway_key(api):
    refused = api.post(
        "/v1/teams", {"name": "Billing"}, headers={**api.writer, "X-Acting-User": "mallory"}
    )
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:cxloop:problem:acting-user-not-allowed"
    created = api.post(
        "/v1/teams", {"name": "Billing"}, headers={**api.gateway, "X-Acting-User": "ana@cx.example"}
    )
    assert created.status_code == 201
    assert created.json()["updated_by"] == "ana@cx.example"
    by_key = api.created("/v1/teams", {"name": "Returns"})
    assert by_key["updated_by"] == "api-key:editor-bot"
