"""``rewardmap serve-sim``: a real OpenAI-compatible HTTP/1.1 server (stdlib ``asyncio``) on 127.0.0.1.

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions`` (non-streaming), ``GET /health``. The last user message's
text is looked up in the dataset and answered by :class:`~rewardmap.evaluation.simulator.SimulatedModel`; an unknown
question gets HTTP 400 (a setup error a user should see). Optional fault injection exercises clients: a fixed number
of failures per question (``fail_first``), random HTTP 500s (``fail_rate``), extra latency (``delay_s``) and hangs
longer than a client's timeout (``hang_rate`` / ``hang_s``).

It answers every request as a real OpenAI-compatible server does, with a JSON error body
(``{"error": {"message", "type"}}``): 400 for a body that is not a JSON object with ``messages`` or a malformed
``Content-Length``, 411 without ``Content-Length``, 413 for a body over ``max_body_bytes`` (refused before it is read),
408 for a connection that sends no complete request for ``idle_timeout_s``, 431 for headers over 64 KiB, 503 over
``max_connections``. Connections are coroutines on one event loop, so idle ones cost no thread; the answers (the
route planner, image thumbnails) run on ``workers`` threads; injected latency and hangs sleep without a thread.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus

from rewardmap.evaluation.simulator import SimulatedModel

#: Default body limit: a 14 MP map as a PNG data URI stays well below it.
DEFAULT_MAX_BODY_BYTES = 64 * 2**20
MAX_HEAD_BYTES = 64 * 1024
_LENGTH = re.compile(r"[0-9]{1,18}")


@dataclass(frozen=True)
class Faults:
    """Fault injection of the simulated server (all off by default)."""

    fail_first: int = 0
    fail_rate: float = 0.0
    delay_s: float = 0.0
    hang_rate: float = 0.0
    hang_s: float = 0.0
    seed: int = 0


class _BadRequest(Exception):
    pass


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
            if not isinstance(content, list):
                return "", False
            texts, image = [], False
            for part in content:
                if isinstance(part, dict):
                    if part.get("type") == "text":
                        texts.append(str(part.get("text", "")))
                    elif part.get("type") in ("image_url", "image"):
                        image = True
            return "\n".join(texts), image
    return "", False


class SimServer:
    """The server object; ``url`` is the base URL clients use (``http://127.0.0.1:PORT/v1``).

    The socket is bound and listening when the constructor returns (connections wait in the backlog until
    :meth:`serve_forever` or :meth:`start` runs the event loop), so a caller may announce readiness at once."""

    def __init__(self, model: SimulatedModel, *, host: str = "127.0.0.1", port: int = 0, model_name: str = "sim",
                 faults: Faults | None = None, api_key: str | None = None, quiet: bool = True,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, idle_timeout_s: float = 30.0, workers: int = 8,
                 max_connections: int = 4096) -> None:
        self.model = model
        self.model_name = model_name
        self.faults = faults or Faults()
        self.api_key = api_key
        self.quiet = quiet
        self.max_body_bytes = int(max_body_bytes)
        self.idle_timeout_s = float(idle_timeout_s)
        self.max_connections = int(max_connections)
        self.attempts: dict[str, int] = {}
        self.stats = {"requests": 0, "ok": 0, "failed": 0, "unknown": 0, "with_image": 0}
        self._lock = threading.Lock()
        self._rng = random.Random(self.faults.seed)
        self._sock = socket.create_server((host, port), backlog=128)
        self.server_address = self._sock.getsockname()
        self._pool = ThreadPoolExecutor(max_workers=max(1, int(workers)), thread_name_prefix="serve-sim")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._running = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._open = 0
        self._tasks: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- life cycle -----------------------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (or Ctrl-C, which propagates as ``KeyboardInterrupt``)."""
        try:
            asyncio.run(self._main())
        finally:
            self._finished.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._connection, sock=self._sock, limit=MAX_HEAD_BYTES)
        self._running.set()
        async with server:
            await self._stopping.wait()
            server.close()
            # end open connections here (asyncio.run would cancel them and log each one)
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(list(self._tasks), timeout=5)

    def start(self) -> SimServer:
        """Serve in a background thread (for tests and benchmarks); returns self once the loop runs."""
        self._thread = threading.Thread(target=self.serve_forever, name="serve-sim", daemon=True)
        self._thread.start()
        self._running.wait(10)
        return self

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` (from another thread) and wait for it to return."""
        if self._loop is not None and self._stopping is not None and not self._finished.is_set():
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._finished.wait(10)

    def server_close(self) -> None:
        self._sock.close()
        self._pool.shutdown(wait=False, cancel_futures=True)

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

    def _log(self, message: str) -> None:
        if not self.quiet:
            print(f"serve-sim: {message}", file=sys.stderr, flush=True)

    # -- HTTP framing ---------------------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            if self._open > self.max_connections:
                await self._reply(writer, reader, 503, "too many open connections", "server_error", close=True)
                return
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass  # the client went away
        except asyncio.CancelledError:
            writer.transport.abort()  # the server is stopping
            return
        finally:
            self._open -= 1
            self._tasks.discard(task)
            writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read, answer and return whether the connection stays open."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout_s)
        except TimeoutError:
            await self._reply(writer, reader, 408, f"no complete request within {self.idle_timeout_s:g} s",
                              "timeout", close=True)
            return False
        except asyncio.IncompleteReadError:
            return False  # closed by the client (between requests or mid-header)
        except asyncio.LimitOverrunError:
            await self._reply(writer, reader, 431, f"request headers over {MAX_HEAD_BYTES} bytes",
                              "invalid_request_error", close=True)
            return False
        lines = head[:-4].decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
            await self._reply(writer, reader, 400, f"malformed request line {lines[0][:80]!r}; expected "
                              "'METHOD /path HTTP/1.1'", "invalid_request_error", close=True)
            return False
        method, path, version = parts
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                await self._reply(writer, reader, 400, f"malformed header line {line[:80]!r}",
                                  "invalid_request_error", close=True)
                return False
            headers[name.strip().lower()] = value.strip()
        conn = headers.get("connection", "").lower()
        keep_alive = conn != "close" if version == "HTTP/1.1" else conn == "keep-alive"
        body = b""
        if "transfer-encoding" in headers:
            await self._reply(writer, reader, 411, "chunked request bodies are not supported; send Content-Length",
                              "invalid_request_error", close=True)
            return False
        length = headers.get("content-length")
        if length is None and method == "POST":
            await self._reply(writer, reader, 411, "a POST needs a Content-Length header", "invalid_request_error",
                              close=True)
            return False
        if length is not None:
            if not _LENGTH.fullmatch(length):
                await self._reply(writer, reader, 400, f"Content-Length {length[:40]!r} is not a non-negative "
                                  "integer", "invalid_request_error", close=True)
                return False
            n = int(length)
            if n > self.max_body_bytes:
                await self._reply(writer, reader, 413, f"request body of {n} bytes is over the limit of "
                                  f"{self.max_body_bytes} bytes (serve-sim --max-body-mb)", "invalid_request_error",
                                  close=True)
                return False
            if n and headers.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            try:
                body = await asyncio.wait_for(reader.readexactly(n), self.idle_timeout_s)
            except TimeoutError:
                await self._reply(writer, reader, 408, f"request body not received within {self.idle_timeout_s:g} s",
                                  "timeout", close=True)
                return False
        try:
            status, payload = await self._respond(method, path, headers, body)
        except Exception as exc:  # a bug of ours: say so in the reply and the log, keep serving
            import traceback

            traceback.print_exc(file=sys.stderr)
            status, payload = 500, _err(f"internal error: {type(exc).__name__}: {exc}", "server_error")
        self._log(f'"{method} {path}" {status}')
        await self._write(writer, status, payload, close=not keep_alive)
        return keep_alive

    async def _write(self, writer: asyncio.StreamWriter, status: int, payload: dict, *, close: bool) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                + ("Connection: close\r\n" if close else "") + "\r\n")
        writer.write(head.encode("latin-1") + data)
        await writer.drain()

    async def _reply(self, writer: asyncio.StreamWriter, reader: asyncio.StreamReader, status: int, message: str,
                     kind: str, *, close: bool) -> None:
        """An error reply that ends the connection: written, then the write side is shut (the client sees the reply
        and EOF at once) while what the client still sends is read and dropped for up to 1 s, so closing does not
        reset the connection before the reply is read."""
        self._log(f"{status} {message}")
        await self._write(writer, status, _err(message, kind), close=close)
        if not close:
            return
        if writer.can_write_eof():
            writer.write_eof()
        end = time.monotonic() + 1.0
        drained = 0
        while drained < 8 * 2**20:
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                chunk = await asyncio.wait_for(reader.read(65536), left)
            except (TimeoutError, ConnectionError, OSError):
                break
            if not chunk:
                break
            drained += len(chunk)

    # -- the API --------------------------------------------------------------------------------------------------
    async def _respond(self, method: str, path: str, headers: dict, body: bytes) -> tuple[int, dict]:
        route = path.split("?", 1)[0].rstrip("/")
        if method == "GET":
            if route in ("/v1/models", "/models"):
                return 200, {"object": "list", "data": [{"id": self.model_name, "object": "model",
                                                         "owned_by": "rewardmap-sim"}]}
            if route == "/health":
                return 200, {"status": "ok", "questions": len(self.model)}
            return 404, _err(f"no route {path}", "not_found")
        if method != "POST":
            return 405, _err(f"method {method} not allowed; expected GET or POST", "invalid_request_error")
        if route not in ("/v1/chat/completions", "/chat/completions"):
            return 404, _err(f"no route {path}", "not_found")
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, _err("invalid or missing API key", "authentication_error")
        loop = asyncio.get_running_loop()
        try:
            obj, question, has_image = await loop.run_in_executor(self._pool, _parse_chat, body)
        except _BadRequest as exc:
            return 400, _err(str(exc), "invalid_request_error")
        with self._lock:
            self.stats["requests"] += 1
            self.stats["with_image"] += int(has_image)
            n = self.attempts.get(question, 0) + 1
            self.attempts[question] = n
            request_no = self.stats["requests"]
        f = self.faults
        if f.delay_s:
            await asyncio.sleep(f.delay_s)
        if f.hang_rate and self._draw() < f.hang_rate:
            await asyncio.sleep(f.hang_s)
        if n <= f.fail_first or (f.fail_rate and self._draw() < f.fail_rate):
            with self._lock:
                self.stats["failed"] += 1
            return 500, _err("simulated server failure", "server_error")
        return await loop.run_in_executor(self._pool, self._answer, obj, question, request_no)

    def _answer(self, body: dict, question: str, request_no: int) -> tuple[int, dict]:
        model = self.model
        if not model.knows(question):
            with self._lock:
                self.stats["unknown"] += 1
            return 400, _err("question not found in the simulator's dataset (check --data)", "invalid_request_error")
        image = None
        if model.ambiguous(question):
            url = _user_image_url(body)
            if isinstance(url, str) and url.startswith("data:"):
                image = lambda: _decode_data_uri(url)  # noqa: E731 - decoded only when needed
        try:
            answer = model.answer(question, image)
        except Exception as exc:  # a data problem (e.g. a station the planner cannot find): say so, do not retry
            return 422, _err(f"simulator cannot answer: {type(exc).__name__}: {exc}", "invalid_request_error")
        with self._lock:
            self.stats["ok"] += 1
        tokens = len(answer.text.split())
        return 200, {
            "id": f"simcmpl-{request_no}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or self.model_name),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer.text}}],
            "usage": {"prompt_tokens": len(question.split()), "completion_tokens": tokens,
                      "total_tokens": tokens + len(question.split())},
            "sim_errors": list(answer.errors),
        }


def _err(message: str, kind: str) -> dict:
    return {"error": {"message": message, "type": kind}}


def _parse_chat(raw: bytes) -> tuple[dict, str, bool]:
    """The request object, the last user message's text and whether it carried an image; :class:`_BadRequest`
    (HTTP 400) naming what is wrong otherwise."""
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        raise _BadRequest(f"request body is not JSON ({type(exc).__name__}); expected a JSON object with "
                          "'messages'") from None
    if not isinstance(body, dict):
        raise _BadRequest(f"request body is a JSON {type(body).__name__}, expected a JSON object with 'messages'")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise _BadRequest(f"'messages' is {type(messages).__name__}, expected a list of message objects")
    question, has_image = _user_text(body)
    return body, question, has_image
