"""What `make docker-test` checks against the containers docker-compose.yml started, from the
host, through the ports they publish (standard library only, so it needs no environment):
every service answers /readyz, the first admin signs in through the gateway's form, and a
survey answered through the gateway's public page reaches metrics through the relays.

    python3 infra/docker_check.py GATEWAY_PORT JOURNEY_PORT FEEDBACK_PORT METRICS_PORT KEYS_DIR
KEYS_DIR holds the admin's password (admin_password) and the keys setup made (one a file).
"""

import http.cookiejar
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from email.message import Message
from pathlib import Path
from typing import Any

SERVICES = ("gateway", "journey", "feedback", "metrics")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def eventually(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
        except (OSError, urllib.error.URLError, KeyError, ValueError):
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise SystemExit(f"docker-test: {what}: not within {seconds:.0f} s")
        time.sleep(0.5)


class Client:
    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.headers = headers or {}
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            NoRedirect, urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def request(
        self, method: str, path: str, body: Any = None, form: bool = False
    ) -> tuple[int, Message, str]:
        data = None
        headers = dict(self.headers)
        if form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        # Only http://127.0.0.1 addresses main() makes.
        request = urllib.request.Request(self.base + path, data, headers, method=method)  # noqa: S310
        try:
            with self.opener.open(request, timeout=15) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, _, text = self.request(method, path, body)
        if status >= 300:
            raise SystemExit(f"docker-test: {method} {self.base}{path}: {status} {text[:500]}")
        return json.loads(text) if text else None


def main() -> None:
    *ports, keys_dir = sys.argv[1:]
    urls = {name: f"http://127.0.0.1:{port}" for name, port in zip(SERVICES, ports, strict=True)}
    keys = Path(keys_dir)

    for name, url in urls.items():
        eventually(lambda: Client(url).request("GET", "/readyz")[0] == 200, 60, name)  # noqa: B023
        print(f"docker-test: {name} ready")

    # The first admin signs in: the form's one-time login token, then the session's CSRF token.
    gateway = Client(urls["gateway"])
    status, _, page = gateway.request("GET", "/login")
    login_token = re.search(r'name="login_token" value="([^"]+)"', page)
    assert status == 200 and login_token, (status, page[:500])
    password = (keys / "admin_password").read_text().strip()
    status, headers, text = gateway.request(
        "POST",
        "/login",
        {"email": "admin@example.com", "password": password, "login_token": login_token[1]},
        form=True,
    )
    assert status == 303, (status, text[:500])
    assert any(cookie.name == "cx_session" for cookie in gateway.cookies)
    status, _, page = gateway.request("GET", "/journeys")
    assert status == 200 and 'name="csrf_token"' in page, (status, page[:500])
    print("docker-test: the admin signed in")

    # A journey with a touchpoint and a published survey on it, through the backends' APIs with
    # the gateway's keys; one answer through the gateway's public page; its score in metrics.
    api = {
        name: Client(urls[name], {"Authorization": "Bearer " + key(keys, name)})
        for name in ("journey", "feedback", "metrics")
    }
    slug = f"docker-{uuid.uuid4().hex[:8]}"
    journey = api["journey"].json(
        "POST",
        "/v1/journeys/documents",
        {
            "name": "Delivery",
            "stages": [
                {
                    "name": "Deliver",
                    "touchpoints": [
                        {
                            "name": "Courier at the door",
                            "channel": "field",
                            "interaction": "human",
                            "owner_name": "Priya Shah",
                            "standard": "Delivered in the promised hour",
                            "targets": [{"metric": "nps", "value": 40}],
                        }
                    ],
                }
            ],
        },
    )
    touchpoint = journey["stages"][0]["touchpoints"][0]["id"]
    survey = api["feedback"].json(
        "POST",
        "/v1/surveys",
        {
            "slug": slug,
            "title": "How was your delivery?",
            "touchpoint_id": touchpoint,
            "min_seconds_to_complete": 0,
            "questions": [
                {"key": "nps", "type": "nps", "prompt": "Recommend us?", "required": True}
            ],
        },
    )
    api["feedback"].json("POST", f"/v1/surveys/{survey['id']}/publish")
    overlay = f"/v1/journeys/{journey['id']}/overlay"
    eventually(
        lambda: api["metrics"].request("GET", overlay)[0] == 200, 60, "metrics knows the journey"
    )

    customer = Client(urls["gateway"])
    status, _, page = customer.request("GET", f"/s/{slug}")
    assert status == 200, (status, page[:500])
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    status, headers, text = customer.request(
        "POST", f"/s/{slug}", {**form, "a_nps": "9"}, form=True
    )
    assert status == 303 and headers["Location"].endswith(f"/s/{slug}/thanks"), (status, text[:500])
    print("docker-test: a survey answered through the gateway")

    scores = f"/v1/scores?metric=nps&group_by=touchpoint&touchpoint_id={touchpoint}"
    overall = eventually(
        lambda: (s := api["metrics"].json("GET", scores)["overall"])["n"] == 1 and s,
        60,
        "the answer in metrics",
    )
    assert overall["value"] == 100.0, overall
    print("docker-test: the answer reached metrics (NPS 100 from 1 answer)")


def key(keys: Path, service: str) -> str:
    return (keys / f"gateway_{service}_api_key").read_text().strip()


if __name__ == "__main__":
    main()
