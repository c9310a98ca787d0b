"""A real HTTP server on loopback that records what it receives (a webhook endpoint)."""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0  # what the receiver answered (0 until it has)


@dataclass
class Receiver:
    status: int = 204
    location: str | None = None
    hold: threading.Event | None = None  # when set, requests wait for it before answering
    status_for: Callable[[bytes], int] | None = None  # the status by body, instead of `status`
    received: list[Received] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                record = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                receiver.received.append(record)
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(30)
                status = receiver.status_for(body) if receiver.status_for else receiver.status
                record.status = status
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # socketserver's 5 drops concurrent connects (1 s retries)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def accepted(self) -> list[Received]:
        """What it received and answered with a 2xx."""
        return [r for r in self.received if 200 <= r.status < 300]

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()
