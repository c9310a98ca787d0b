"""Answers compressed as the client accepts: zstd, then Brotli, then gzip (docs/platform.md).

starlette-compress does the work: it compresses only types that compress (text, JSON, SVG,
JavaScript; never images or archives), leaves alone an answer that already has a
Content-Encoding (the gateway's precompressed assets), a range, a 204 or a 304, and adds
`Vary: Accept-Encoding` to every answer it could have compressed. Answers under MINIMUM_SIZE
go as they are: a few hundred bytes gain nothing and cost a compressor.

ETags are left as they are. Each one names a version of a resource (its `version`), which
If-Match and If-None-Match compare whatever the coding of the answer that carried it; no
answer compressed here is served in byte ranges, and Vary keeps caches from mixing codings.
"""

from fastapi import FastAPI
from starlette_compress import CompressMiddleware, add_compress_type

MINIMUM_SIZE = 500

# Errors are JSON too.
add_compress_type("application/problem+json")


def add_compression(app: FastAPI) -> None:
    """Compresses the answers of `app`: call after any middleware that stores or replays
    answers (Idempotency-Key), so that a stored answer is never one client's coding."""
    app.add_middleware(
        CompressMiddleware,
        minimum_size=MINIMUM_SIZE,
        zstd_level=3,
        brotli_quality=4,
        gzip_level=6,
    )
