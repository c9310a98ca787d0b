"""The stylesheets and scripts pages load, under names that carry a hash of their content and
compressed once per process: a browser keeps each for a year without asking again, and a new
version is a new name (docs/gateway.md).

    /assets/htmx.min.1a2b3c4d5e6f.js    Cache-Control: public, max-age=31536000, immutable

Each is kept as it is, Brotli-compressed (quality 11) and gzip-compressed (level 9), and sent in
the best coding the request accepts; files too small to gain are sent as they are. Templates
name them through `asset_url("app.css")`.
"""

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import brotli
from fastapi import Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from cxshared.compression import MINIMUM_SIZE

PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
# Preferred first; a client that accepts none of them gets the file as it is.
CODINGS = ("br", "gzip")


@dataclass(frozen=True)
class Asset:
    url: str
    media_type: str
    digest: str
    bodies: dict[str, bytes]  # "identity" and each coding that makes it smaller


@cache
def _built(path: Path, mtime_ns: int, size: int) -> Asset:
    """Hashed and compressed once per version of a file (its mtime and size name it)."""
    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()[:12]
    stem, dot, suffix = path.name.rpartition(".")
    hashed = f"{stem}.{digest}.{suffix}" if dot else f"{path.name}.{digest}"
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    bodies = {"identity": content}
    if size >= MINIMUM_SIZE:
        for coding, compressed in (
            ("br", brotli.compress(content, quality=11)),
            ("gzip", gzip.compress(content, compresslevel=9, mtime=0)),
        ):
            if len(compressed) < size:
                bodies[coding] = compressed
    return Asset(url=PREFIX + hashed, media_type=media_type, digest=digest, bodies=bodies)


class Assets:
    """The files pages load, by their plain name (app.css, htmx.min.js)."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def get(self, name: str) -> Asset | None:
        path = self.sources.get(name)
        if path is None:
            return None
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        return _built(path, stat.st_mtime_ns, stat.st_size)

    def url(self, name: str) -> str:
        asset = self.get(name)
        if asset is None:
            raise LookupError(f"no asset {name!r}")
        return asset.url

    def by_url(self, url: str) -> Asset | None:
        for name in self.sources:
            asset = self.get(name)
            if asset is not None and asset.url == url:
                return asset
        return None

    def build(self) -> None:
        """Hashes and compresses everything now rather than on the first page."""
        for name in self.sources:
            self.get(name)

    def response(self, request: Request, hashed_name: str) -> Response:
        asset = self.by_url(PREFIX + hashed_name)
        if asset is None:
            raise HTTPException(404)
        coding = _chosen(request.headers.get("Accept-Encoding", ""), asset)
        etag = f'"{asset.digest}"' if coding == "identity" else f'"{asset.digest}-{coding}"'
        headers = {"Cache-Control": IMMUTABLE, "ETag": etag, "Vary": "Accept-Encoding"}
        tags = _tags(request.headers.get("If-None-Match", ""))
        if etag in tags or "*" in tags:
            return Response(status_code=304, headers=headers)
        if coding != "identity":
            headers["Content-Encoding"] = coding
        body = asset.bodies[coding] if request.method != "HEAD" else b""
        response = Response(body, media_type=asset.media_type, headers=headers)
        response.headers["Content-Length"] = str(len(asset.bodies[coding]))
        return response


def _accepted(accept_encoding: str) -> set[str]:
    accepted: set[str] = set()
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            accepted.add(coding.strip().lower())
    return accepted


def _chosen(accept_encoding: str, asset: Asset) -> str:
    accepted = _accepted(accept_encoding)
    for coding in CODINGS:
        if coding in asset.bodies and (coding in accepted or "*" in accepted):
            return coding
    return "identity"


def _tags(if_none_match: str) -> set[str]:
    """If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x"."""
    return {tag.strip().removeprefix("W/") for tag in if_none_match.split(",") if tag.strip()}


HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
# Browser packages are installed from the npm registry (package.json, package-lock.json) beside
# the gateway's pyproject, never committed.
NODE_MODULES = HERE.parents[1] / "node_modules"
VENDOR = {"htmx.min.js": NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"}
ASSETS = Assets(
    {
        **{name: STATIC / name for name in ("app.css", "app.js", "survey.css", "survey-frame.js")},
        "favicon.svg": STATIC / "favicon.svg",
        **VENDOR,
    }
)
