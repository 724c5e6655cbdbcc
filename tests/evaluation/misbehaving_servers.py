"""Real HTTP servers on 127.0.0.1 that misbehave on purpose, for the client's and the runner's reliability tests.

- :class:`CannedServer` answers every POST with the next body of a list (raw bytes, so invalid JSON, ``NaN``, lone
  surrogates and deep nesting can be sent as a broken server would);
- :class:`DripServer` sends its reply one byte at a time (headers or body), then gives up after ``max_bytes``.

Both listen on 127.0.0.1 only, serve from daemon threads and stop on ``__exit__``; every loop is bounded.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class CannedServer(ThreadingHTTPServer):
    """Answer the n-th POST with ``bodies[n % len(bodies)]`` (status ``status``)."""

    daemon_threads = True

    def __init__(self, bodies: list[bytes], status: int = 200) -> None:
        super().__init__(("127.0.0.1", 0), _CannedHandler)
        self.bodies = bodies
        self.status = status
        self.served = 0
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def __enter__(self) -> CannedServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()


class _CannedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CannedServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server._lock:
            body = self.server.bodies[self.server.served % len(self.server.bodies)]
            self.server.served += 1
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class DripServer:
    """Reads one request per connection, then sends a 200 reply one byte every ``interval_s``: the headers
    (``drip="headers"``) or the body after complete headers (``drip="body"``). It stops after ``max_bytes`` bytes of
    the dripped part and closes the connection, so a client without a deadline waits about
    ``max_bytes · interval_s`` seconds and then sees a truncated reply."""

    def __init__(self, *, interval_s: float = 0.3, max_bytes: int = 30, drip: str = "body") -> None:
        self.interval_s = interval_s
        self.max_bytes = max_bytes
        self.drip = drip
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self.connections = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"

    def __enter__(self) -> DripServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        body = b'{"choices":[{"message":{"content":"' + b"x" * 2000 + b'"}}]}'
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        try:
            conn.settimeout(5)
            data = b""
            while b"\r\n\r\n" not in data and len(data) < 1 << 20:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            slow, fast = (head, b"") if self.drip == "headers" else (body, head)
            conn.sendall(fast)
            for i in range(min(self.max_bytes, len(slow))):
                if self._stop.is_set():
                    return
                conn.sendall(slow[i:i + 1])
                time.sleep(self.interval_s)
        except OSError:
            pass
        finally:
            conn.close()
