"""CORS on the public endpoints: the survey's allowed origins only, never credentials."""

URL = "/v1/public/surveys/delivery/responses"
SHOP = "https://shop.example.com"


def preflight(api, origin):
    return api.client.options(
        URL,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_allowed_origins_only(api, published):
    api.patch(f"/v1/surveys/{published['id']}", {"allowed_origins": [SHOP]})
    ok = preflight(api, SHOP)
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == SHOP
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in ok.headers
    refused = preflight(api, "https://evil.example")
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers

    read = api.client.get("/v1/public/surveys/delivery", headers={"Origin": SHOP})
    assert read.headers["access-control-allow-origin"] == SHOP
    assert "ETag" in read.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in read.headers
    other = api.client.get(
        "/v1/public/surveys/delivery", headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in other.headers
    # Origin, and Accept-Encoding for a definition large enough to be compressed.
    assert "Origin" in {v.strip() for v in other.headers["vary"].split(",")}


def test_no_origins_means_no_embedding_and_staff_endpoints_are_untouched(api, published):
    assert preflight(api, SHOP).status_code == 403
    staff = api.client.get("/v1/surveys", headers={**api.reader, "Origin": SHOP})
    assert "access-control-allow-origin" not in staff.headers
