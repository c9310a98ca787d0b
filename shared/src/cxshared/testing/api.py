"""A service's app in-process, with an API key of each kind, for API tests."""

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from cxshared.auth import Scope, create_api_key
from cxshared.db import make_engine


def make_key(database_url: str, name: str, *scopes: Scope) -> str:
    engine = make_engine(database_url, pool_size=1)
    try:
        return create_api_key(engine, name=name, scopes=list(scopes))[1]
    finally:
        engine.dispose()


@dataclass
class Api:
    """The app in-process, with a key of each kind."""

    client: TestClient
    database_url: str
    admin: dict[str, str]
    writer: dict[str, str]
    reader: dict[str, str]
    gateway: dict[str, str]

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.writer)
        response: httpx.Response = self.client.post(path, json=json, **kwargs)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.reader)
        response: httpx.Response = self.client.get(path, **kwargs)
        return response

    def patch(self, path: str, json: Any, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.writer)
        response: httpx.Response = self.client.patch(path, json=json, **kwargs)
        return response

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", self.writer)
        response: httpx.Response = self.client.delete(path, **kwargs)
        return response

    def created(self, path: str, json: Any) -> dict[str, Any]:
        response = self.post(path, json)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_api(client: TestClient, url: str) -> Api:
    return Api(
        client=client,
        database_url=url,
        admin=bearer(make_key(url, "ops", Scope.ADMIN)),
        writer=bearer(make_key(url, "editor-bot", Scope.WRITE)),
        reader=bearer(make_key(url, "dashboard", Scope.READ)),
        gateway=bearer(make_key(url, "gateway", Scope.WRITE, Scope.GATEWAY)),
    )
