"""All four services as real processes on loopback, signed-in staff of each role, and Debian's
Chromium driven by Playwright: for the browser tests and for `make screenshots`."""

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Dialog, Page, sync_playwright

from cxshared.auth import Scope
from cxshared.db import make_engine
from cxshared.testing.api import bearer, make_key
from cxshared.testing.databases import DatabaseFactory
from cxshared.testing.processes import LiveServices, ServiceProcess, free_port
from feedback.main import MIGRATIONS as FEEDBACK_MIGRATIONS
from gateway.main import MIGRATIONS as GATEWAY_MIGRATIONS
from gateway.users.models import Role
from gateway.users.service import create_user
from journey.main import MIGRATIONS as JOURNEY_MIGRATIONS
from metrics.main import MIGRATIONS as METRICS_MIGRATIONS

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"
MIGRATIONS = {
    "journey": JOURNEY_MIGRATIONS,
    "feedback": FEEDBACK_MIGRATIONS,
    "metrics": METRICS_MIGRATIONS,
    "gateway": GATEWAY_MIGRATIONS,
}


class HostPage(http.server.ThreadingHTTPServer):
    """Another site, on its own origin, whose page embeds a survey with /embed.js."""

    def __init__(self) -> None:
        self.html = ""
        page = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = page.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@dataclass
class World:
    live: LiveServices
    servers: dict[str, ServiceProcess]
    envs: dict[str, dict[str, str]]
    ports: dict[str, int]
    urls: dict[str, str]  # database urls
    keys: dict[str, dict[str, str]]
    browser: Browser | None
    dialogs: list[str] = field(default_factory=list)

    def saw_dialog(self, dialog: Dialog) -> None:
        """No page of cxloop opens a dialog: one that opens is a script someone injected."""
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    @property
    def gateway(self) -> str:
        return self.servers["gateway"].base_url or ""

    def api(self, service: str) -> str:
        return self.servers[service].base_url or ""

    def post(self, service: str, path: str, body: Any = None) -> dict[str, Any]:
        response = httpx.post(
            self.api(service) + path, json=body, headers=self.keys[service], timeout=10
        )
        assert response.status_code in (200, 201), response.text
        return response.json()  # type: ignore[no-any-return]

    def get(self, service: str, path: str) -> Any:
        response = httpx.get(self.api(service) + path, headers=self.keys[service], timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self, service: str) -> None:
        self.servers[service].stop()

    def start(self, service: str) -> None:
        self.servers[service] = self.live.start(
            service, env=self.envs[service], port=self.ports[service]
        )

    @property
    def chromium(self) -> Browser:
        assert self.browser is not None, "a world started without a browser"
        return self.browser

    def signed_in(self, role: str = "editor", *, javascript: bool = True) -> Page:
        context = self.chromium.new_context(java_script_enabled=javascript)
        page = context.new_page()
        page.on("dialog", self.saw_dialog)
        page.goto(f"{self.gateway}/login")
        page.fill("#email", f"{role}@example.com")
        page.fill("#password", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(f"{self.gateway}/dashboard")
        return page


@contextmanager
def with_chromium(world: World) -> Iterator[World]:
    """`world` with a Chromium of its own, and its own record of dialogs. Playwright's sync API
    runs an event loop on this thread while Chromium is open, so a browser lasts one module,
    while the servers may last longer."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            yield replace(world, browser=chromium, dialogs=[])
        finally:
            chromium.close()


@contextmanager
def running_world(
    logs: Path,
    database_factory_for: Callable[[str, Path], DatabaseFactory],
    *,
    browser: bool = True,
    gateway_env: dict[str, str] | None = None,
    backend_env: dict[str, str] | None = None,
    workers: int = 1,
    gateway_port: int | None = None,
) -> Iterator[World]:
    """The four services (the gateway with `gateway_env` added to its settings, each backend
    with `backend_env`, each with `workers` worker processes; the gateway on `gateway_port` if
    given, for a backend that must know its address) and, unless `browser` is false, Chromium."""
    serve = ("serve", "--workers", str(workers)) if workers > 1 else ("serve",)
    factories = {name: database_factory_for(name, path) for name, path in MIGRATIONS.items()}
    urls = {name: factory.new_url() for name, factory in factories.items()}
    live = LiveServices(logs)
    try:
        ingest = make_key(urls["metrics"], "relays", Scope.INGEST)
        gateway_keys = {
            name: make_key(urls[name], "gateway", Scope.WRITE, Scope.GATEWAY)
            for name in ("journey", "feedback", "metrics")
        }
        keys = {
            "journey": bearer(make_key(urls["journey"], "tests", Scope.WRITE, Scope.ADMIN)),
            "feedback": bearer(make_key(urls["feedback"], "tests", Scope.WRITE, Scope.ADMIN)),
            "metrics": bearer(make_key(urls["metrics"], "tests", Scope.WRITE, Scope.ADMIN)),
        }
        # Each server takes a port the kernel gives it; metrics first, since the producers deliver
        # to it, the gateway last, since it calls the three.
        metrics_env = {
            "METRICS_DATABASE_URL": urls["metrics"],
            "METRICS_ALERT_DEBOUNCE_SECONDS": "0",
            **(backend_env or {}),
        }
        servers = {"metrics": live.start("metrics", *serve, env=metrics_env)}
        ingest_url = f"{servers['metrics'].base_url}/v1/events"

        def producer(prefix: str, name: str) -> dict[str, str]:
            return {
                f"{prefix}_DATABASE_URL": urls[name],
                f"{prefix}_INGEST_URL": ingest_url,
                f"{prefix}_INGEST_API_KEY": ingest,
                f"{prefix}_RELAY_POLL_SECONDS": "0.2",
                f"{prefix}_RELAY_BACKOFF_BASE_SECONDS": "0.2",
                f"{prefix}_RELAY_BACKOFF_MAX_SECONDS": "1",
                **(backend_env or {}),
            }

        envs = {
            "journey": producer("JOURNEY", "journey"),
            "feedback": {
                **producer("FEEDBACK", "feedback"),
                "FEEDBACK_TRUSTED_PROXIES": json.dumps(["127.0.0.1"]),
                "FEEDBACK_RATE_LIMIT_PER_CLIENT": "100000",
            },
            "metrics": metrics_env,
        }
        # Journey's relay also delivers its touchpoint and team events to feedback, which routes
        # cases by them (docs/cases.md), so journey starts once feedback's address is known.
        feedback_ingest = make_key(urls["feedback"], "journey-relay", Scope.INGEST)

        def feedback_then_journey() -> None:
            servers["feedback"] = live.start("feedback", *serve, env=envs["feedback"])
            envs["journey"]["JOURNEY_FEEDBACK_INGEST_URL"] = (
                f"{servers['feedback'].base_url}/v1/events"
            )
            envs["journey"]["JOURNEY_FEEDBACK_INGEST_API_KEY"] = feedback_ingest
            servers["journey"] = live.start("journey", *serve, env=envs["journey"])

        # They start while the staff users' passwords are hashed.
        with ThreadPoolExecutor(1) as pool:
            starting = pool.submit(feedback_then_journey)
            engine = make_engine(urls["gateway"], pool_size=1)
            for role in Role:
                create_user(
                    engine,
                    email=f"{role.value}@example.com",
                    name=f"{role.value.title()} User",
                    role=role,
                    password=PASSWORD,
                )
            engine.dispose()
            starting.result()
        envs["gateway"] = {
            "GATEWAY_DATABASE_URL": urls["gateway"],
            "GATEWAY_SURVEY_CACHE_SECONDS": "0",
            # No test here is about a slow backend: on a loaded machine a page's calls can
            # take seconds, and a page missing its figures fails a test for nothing.
            "GATEWAY_BACKEND_TIMEOUT_SECONDS": "30",
            # A module's tests sign in more often than 10 times a minute, all from 127.0.0.1.
            "GATEWAY_SIGN_IN_ATTEMPTS_PER_MINUTE": "1000",
            **{
                f"GATEWAY_{name.upper()}_URL": str(servers[name].base_url)
                for name in ("journey", "feedback", "metrics")
            },
            **{f"GATEWAY_{name.upper()}_API_KEY": key for name, key in gateway_keys.items()},
            **(gateway_env or {}),
        }
        servers["gateway"] = live.start("gateway", *serve, env=envs["gateway"], port=gateway_port)
        # A server stopped by a test comes back on the same port, where the others expect it.
        ports = {
            name: int(str(server.base_url).rsplit(":", 1)[1]) for name, server in servers.items()
        }
        world = World(live, servers, envs, ports, urls, keys, None)
        if not browser:
            yield world
            return
        with with_chromium(world) as browsing:
            yield browsing
    finally:
        live.stop_all()
        for name, factory in factories.items():
            factory.release(urls[name])
