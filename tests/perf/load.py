"""A load generator light enough to share two cores with the server it measures.

Plain HTTP/1.1 over asyncio streams, not an HTTP client library: on a two-core machine the
client shares the CPU with the server, and a full client library cost more CPU than the request
it sent, so it measured itself.
"""

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Body = Callable[[int, int], object]


@dataclass
class Load:
    """What a run measured: requests a second, each request's latency (ms), its failures."""

    rate: float
    latencies: list[float]
    failures: dict[int, int] = field(default_factory=dict)


def run_load(
    url: str,
    *,
    clients: int,
    seconds: float,
    body: Body | None = None,
    expect: int = 200,
    headers: dict[str, str] | None = None,
) -> Load:
    """`clients` keep-alive connections send requests until `seconds` have passed.

    With `body`, each request is a POST of `body(client, i)` as JSON; otherwise a GET.
    """
    parts = urlsplit(url)
    target = parts.path or "/"
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    get = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    post_head = (
        f"POST {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    latencies: list[float] = []
    failures: dict[int, int] = {}

    def request(n: int, i: int) -> bytes:
        if body is None:
            return get
        payload = json.dumps(body(n, i)).encode()
        return post_head + str(len(payload)).encode() + b"\r\n\r\n" + payload

    async def connection(n: int, deadline: float) -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            i = 0
            while time.perf_counter() < deadline:
                message = request(n, i)
                started = time.perf_counter()
                writer.write(message)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - started) * 1000)
                if status != expect:
                    failures[status] = failures.get(status, 0) + 1
                i += 1
        finally:
            writer.close()

    async def main() -> None:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(connection(n, deadline) for n in range(clients)))

    started = time.perf_counter()
    asyncio.run(main())
    return Load(len(latencies) / (time.perf_counter() - started), latencies, failures)


def document(stages: int, touchpoints: int) -> dict[str, object]:
    """A journey of `stages` x `touchpoints`, each with an owner, a standard and a target."""
    return {
        "name": "Benchmark journey",
        "stages": [
            {
                "name": f"Stage {s}",
                "touchpoints": [
                    {
                        "name": f"Touchpoint {s}.{t}",
                        "channel": "web",
                        "interaction": "digital",
                        "owner_name": "Owner",
                        "standard": "Answered within a minute",
                        "targets": [{"metric": "csat", "value": 80}],
                    }
                    for t in range(touchpoints)
                ],
            }
            for s in range(stages)
        ],
    }
