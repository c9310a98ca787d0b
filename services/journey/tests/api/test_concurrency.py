"""Optimistic concurrency: a stale If-Match gets 412 and changes nothing."""

import threading

import httpx


def test_stale_if_match_changes_nothing_and_says_who(api, journey_map):
    url = f"/v1/touchpoints/{journey_map['confirm']['id']}"
    etag = api.get(url).headers["etag"]
    first = api.patch(
        url,
        {"owner_name": "Kim"},
        headers={**api.gateway, "If-Match": etag, "X-Acting-User": "kim@cx.example"},
    )
    assert first.status_code == 200
    assert first.headers["etag"] != etag
    stale = api.patch(url, {"owner_name": "Lou"}, headers={**api.writer, "If-Match": etag})
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["updated_by"] == "kim@cx.example"
    assert problem["current_version"] == 2
    assert "kim@cx.example" in problem["detail"]
    assert api.get(url).json()["owner_name"] == "Kim"


def test_two_concurrent_edits_one_wins_one_gets_412(api, journey_map, live_journey):
    """Real uvicorn with two workers; both edits carry the same version and race."""
    server = live_journey("serve", "--workers", "2", env={"JOURNEY_RELAY_IN_PROCESS": "false"})
    touchpoint = journey_map["confirm"]["id"]
    url = f"{server.base_url}/v1/touchpoints/{touchpoint}"
    for round_ in range(5):
        etag = httpx.get(url, headers=api.reader).headers["etag"]
        barrier = threading.Barrier(2)
        results: dict[str, httpx.Response] = {}

        def edit(owner: str, etag: str = etag, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            results[owner] = httpx.patch(
                url, json={"owner_name": owner}, headers={**api.writer, "If-Match": etag}
            )

        threads = [threading.Thread(target=edit, args=(f"{n}-{round_}",)) for n in ("A", "B")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(r.status_code for r in results.values())
        assert statuses == [200, 412], statuses
        winner = next(owner for owner, r in results.items() if r.status_code == 200)
        stored = httpx.get(url, headers=api.reader).json()
        assert stored["owner_name"] == winner
        assert stored["version"] == int(etag.strip('"')) + 1
    history = httpx.get(
        f"{server.base_url}/v1/history",
        params={"entity_id": touchpoint, "limit": 50},
        headers=api.reader,
    ).json()["items"]
    assert sum(1 for change in history if change["action"] == "update") == 5


def test_a_weak_etag_never_passes_if_match(api, journey_map):
    """RFC 9110 compares If-Match strongly: W/"1" is not "1", so the write is refused."""
    url = f"/v1/touchpoints/{journey_map['confirm']['id']}"
    etag = api.get(url).headers["etag"]
    weak = api.patch(url, {"owner_name": "Lou"}, headers={**api.writer, "If-Match": f"W/{etag}"})
    assert weak.status_code == 412
    assert api.get(url).json()["owner_name"] != "Lou"
    strong = api.patch(url, {"owner_name": "Lou"}, headers={**api.writer, "If-Match": etag})
    assert strong.status_code == 200
