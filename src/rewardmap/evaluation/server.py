"""``rewardmap serve-sim``: a real OpenAI-compatible HTTP server (stdlib ``ThreadingHTTPServer``) on 127.0.0.1.

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions`` (non-streaming), ``GET /health``. The last user message's
text is looked up in the dataset and answered by :class:`~rewardmap.evaluation.simulator.SimulatedModel`; an unknown
question gets HTTP 400 (a setup error a user should see). Optional fault injection exercises clients: a fixed number
of failures per question (``fail_first``), random HTTP 500s (``fail_rate``), extra latency (``delay_s``) and hangs
longer than a client's timeout (``hang_rate`` / ``hang_s``).
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rewardmap.evaluation.simulator import SimulatedModel


@dataclass(frozen=True)
class Faults:
    """Fault injection of the simulated server (all off by default)."""

    fail_first: int = 0
    fail_rate: float = 0.0
    delay_s: float = 0.0
    hang_rate: float = 0.0
    hang_s: float = 0.0
    seed: int = 0


def _user_image_url(body: dict) -> str | None:
    for msg in reversed(body.get("messages") or []):
        if isinstance(msg, dict) and msg.get("role") == "user" and isinstance(msg.get("content"), list):
            for part in msg["content"]:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    url = part.get("image_url")
                    return url.get("url") if isinstance(url, dict) else url
            return None
    return None


def _decode_data_uri(url: str):
    import base64
    import io

    from PIL import Image

    _, _, b64 = url.partition(",")
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def _user_text(body: dict) -> tuple[str, bool]:
    """Text of the last user message and whether it carried an image."""
    messages = body.get("messages") or []
    for msg in reversed(messages):
        if isinstance(msg, dict) and msg.get("role") == "user":
            content = msg.get("content")
            if isinstance(content, str):
                return content, False
            texts, image = [], False
            for part in content or []:
                if isinstance(part, dict):
                    if part.get("type") == "text":
                        texts.append(str(part.get("text", "")))
                    elif part.get("type") in ("image_url", "image"):
                        image = True
            return "\n".join(texts), image
    return "", False


class SimServer(ThreadingHTTPServer):
    """The server object; ``url`` is the base URL clients use (``http://127.0.0.1:PORT/v1``)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, model: SimulatedModel, *, host: str = "127.0.0.1", port: int = 0, model_name: str = "sim",
                 faults: Faults | None = None, api_key: str | None = None, quiet: bool = True) -> None:
        super().__init__((host, port), _Handler)
        self.model = model
        self.model_name = model_name
        self.faults = faults or Faults()
        self.api_key = api_key
        self.quiet = quiet
        self.attempts: dict[str, int] = {}
        self.stats = {"requests": 0, "ok": 0, "failed": 0, "unknown": 0, "with_image": 0}
        self._lock = threading.Lock()
        self._rng = random.Random(self.faults.seed)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> SimServer:
        """Serve in a background thread (for tests and benchmarks); returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="serve-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _draw(self) -> float:
        with self._lock:
            return self._rng.random()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimServer

    def log_message(self, format: str, *args) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, kind: str) -> None:
        self._send(status, {"error": {"message": message, "type": kind}})

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send(200, {"object": "list", "data": [{"id": self.server.model_name, "object": "model",
                                                         "owned_by": "rewardmap-sim"}]})
        elif self.path.rstrip("/") == "/health":
            self._send(200, {"status": "ok", "questions": len(self.server.model)})
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:
        srv = self.server
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._error(404, f"no route {self.path}", "not_found")
            return
        if srv.api_key is not None and self.headers.get("Authorization") != f"Bearer {srv.api_key}":
            self._error(401, "invalid or missing API key", "authentication_error")
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._error(400, "request body is not JSON", "invalid_request_error")
            return
        question, has_image = _user_text(body)
        with srv._lock:
            srv.stats["requests"] += 1
            srv.stats["with_image"] += int(has_image)
            n = srv.attempts.get(question, 0) + 1
            srv.attempts[question] = n
        f = srv.faults
        if f.delay_s:
            time.sleep(f.delay_s)
        if f.hang_rate and srv._draw() < f.hang_rate:
            time.sleep(f.hang_s)
        if n <= f.fail_first or (f.fail_rate and srv._draw() < f.fail_rate):
            with srv._lock:
                srv.stats["failed"] += 1
            self._error(500, "simulated server failure", "server_error")
            return
        if not srv.model.knows(question):
            with srv._lock:
                srv.stats["unknown"] += 1
            self._error(400, "question not found in the simulator's dataset (check --data)", "invalid_request_error")
            return
        image = None
        if srv.model.ambiguous(question):
            url = _user_image_url(body)
            if url and url.startswith("data:"):
                image = lambda: _decode_data_uri(url)  # noqa: E731 - decoded only when needed
        try:
            answer = srv.model.answer(question, image)
        except Exception as exc:  # a data problem (e.g. a station the planner cannot find): say so, do not retry
            self._error(422, f"simulator cannot answer: {type(exc).__name__}: {exc}", "invalid_request_error")
            return
        with srv._lock:
            srv.stats["ok"] += 1
        tokens = len(answer.text.split())
        self._send(200, {
            "id": f"simcmpl-{srv.stats['requests']}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or srv.model_name),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer.text}}],
            "usage": {"prompt_tokens": len(question.split()), "completion_tokens": tokens,
                      "total_tokens": tokens + len(question.split())},
            "sim_errors": list(answer.errors),
        })
