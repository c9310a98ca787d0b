"""/metrics: request counts by route template, the outbox's depth and age per destination."""

import re

from pydantic import SecretStr

from cxshared.testing.api import make_api


def _value(text, name, **labels):
    """The sample of `name` whose labels include `labels`; 0 when there is none yet."""
    for line in text.splitlines():
        if line.startswith(name + "{"):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line[line.index("{") : line.rindex("}")]))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_and_show_the_outbox(settings, app_for):
    # A sink nobody listens on: what the relay would send stays pending.
    configured = settings.model_copy(
        update={"ingest_url": "http://127.0.0.1:9/v1/events", "ingest_api_key": SecretStr("cxk_x")}
    )
    api = make_api(app_for(configured), settings.database_url)
    # Counters live in the process, which other tests share: compare before and after.
    before = api.client.get("/metrics").text
    for name in ("Logistics", "Care"):
        assert api.post("/v1/teams", {"name": name}).status_code == 201
    team = api.get("/v1/teams").json()["items"][0]
    api.get(f"/v1/teams/{team['id']}")
    api.get("/v1/teams/no-such-team")
    metrics = api.client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text

    def grew(name, **labels):
        return _value(text, name, **labels) - _value(before, name, **labels)

    assert grew("cx_http_requests_total", route="/v1/teams", method="POST", status="201") == 2
    # By template: one series for every team's id, and the 404 counted apart.
    assert grew("cx_http_requests_total", route="/v1/teams/{team_id}", status="200") == 1
    assert grew("cx_http_requests_total", route="/v1/teams/{team_id}", status="404") == 1
    assert "no-such-team" not in text
    assert grew("cx_http_request_duration_seconds_count", route="/v1/teams", method="POST") == 2
    assert _value(text, "cx_outbox_pending", destination="sink:ingest") == 2
    assert _value(text, "cx_outbox_oldest_pending_seconds", destination="sink:ingest") >= 0
