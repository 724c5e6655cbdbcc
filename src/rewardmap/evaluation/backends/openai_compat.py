"""An OpenAI-compatible chat-completions client: image as a data URI, concurrency, retries with backoff, timeouts.

Only the standard library is used (``http.client`` with one keep-alive connection per worker thread). The API key is
read from an environment variable at construction and only ever placed in the ``Authorization`` header: it is never
logged, never part of ``repr`` and never written to run outputs.

Reliability promises (docs/reliability.md): ``timeout_s`` is a deadline for a whole attempt (connect, send, headers
and body), enforced by one watchdog thread that shuts the socket of an attempt past its deadline, so a server that
drips one byte at a time cannot hold a request longer; and no reply, however odd (a body that is not an object, a
``message`` that is a string, a non-text content part, a token count of ``inf``), raises: it becomes the sample's
``error``, naming what was found and what was expected. A bad ``usage`` only drops the token count.
"""

from __future__ import annotations

import base64
import heapq
import http.client
import io
import itertools
import json
import math
import os
import random
import re
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import urlsplit

from rewardmap.errors import ConfigError
from rewardmap.evaluation.backends.base import Generation, ImageRef, Prompt

#: Hosts for which ``check`` waits (``wait_s``) while the connection is refused: a local server that is starting.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
#: A keep-alive connection idle for longer is not reused (a new one is opened): servers close idle ones.
KEEPALIVE_IDLE_S = 5.0
#: Largest reply body read (a chat completion is a few kB; a broken server must not fill the memory).
MAX_REPLY_BYTES = 64 * 2**20
_SURROGATE = re.compile("[\ud800-\udfff]")

#: Environment variables searched (in order) for the API key when none is named explicitly.
API_KEY_ENV_VARS = ("REWARDMAP_API_KEY", "OPENAI_API_KEY")
#: HTTP statuses worth retrying (rate limits, timeouts, server-side failures).
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class _HTTPFailure(Exception):
    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` extra attempts after the first; the wait before retry *n* (0-based) is
    ``min(max_backoff_s, backoff_s · 2**n)`` with ±25 % jitter, or the server's ``Retry-After`` when it sends one."""

    max_retries: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 20.0

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(self.max_backoff_s, max(0.0, retry_after))
        base = min(self.max_backoff_s, self.backoff_s * (2 ** attempt))
        return base * (0.75 + 0.5 * rng.random())


def resolve_api_key(env_var: str | None = None) -> str | None:
    """The API key from ``env_var`` (if given) or the first set variable of :data:`API_KEY_ENV_VARS`."""
    names = (env_var,) if env_var else API_KEY_ENV_VARS
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None


def encode_image(image, *, fmt: str = "PNG") -> str:
    """A PIL image as a ``data:`` URI (PNG by default, lossless for thin map lines)."""
    buf = io.BytesIO()
    img = image
    if fmt.upper() == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    img.save(buf, format=fmt.upper())
    mime = "jpeg" if fmt.upper() == "JPEG" else fmt.lower()
    return f"data:image/{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


class OpenAIBackend:
    """Chat completions against any OpenAI-compatible server (vLLM ``serve``, SGLang, TGI, OpenAI, ``serve-sim``).

    Args:
        model: the ``model`` field sent to the server.
        base_url: e.g. ``http://127.0.0.1:8000/v1`` (``/chat/completions`` is appended).
        concurrency: requests in flight at once.
        timeout_s: deadline of one attempt (connect, send, wait, read), seconds; retries get a fresh deadline.
        retry: retry policy for connection errors, timeouts and retryable HTTP statuses.
        max_tokens: ``max_tokens`` of the request (2,048, as the papers' open-model setting).
        temperature: 0 = greedy (the papers' setting).
        api_key_env: environment variable holding the key (default: REWARDMAP_API_KEY, then OPENAI_API_KEY).
        image_format: ``PNG`` or ``JPEG`` for the data URI.
        extra_body: additional JSON fields merged into every request.
    """

    name = "openai"

    def __init__(self, model: str, base_url: str, *, concurrency: int = 16, timeout_s: float = 120.0,
                 retry: RetryPolicy | None = None, max_tokens: int = 2048, temperature: float = 0.0,
                 api_key_env: str | None = None, image_format: str = "PNG", extra_body: dict | None = None,
                 image_cache_size: int = 8, seed: int = 0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"model server URL {base_url!r}: expected http(s)://host[:port]/path")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path.rstrip("/") or "") + "/chat/completions"
        self.concurrency = max(1, int(concurrency))
        self.batch_size = self.concurrency * 4
        self.timeout_s = float(timeout_s)
        self.retry = retry or RetryPolicy()
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.image_format = image_format
        self.extra_body = dict(extra_body or {})
        self.__api_key = resolve_api_key(api_key_env)
        self._local = threading.local()
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_size = max(1, image_cache_size)
        self._cache_lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._closing = False
        self._deadlines = _Deadlines()

    def __repr__(self) -> str:  # never shows the key
        return f"OpenAIBackend(model={self.model!r}, base_url={self.base_url!r}, concurrency={self.concurrency})"

    @property
    def has_api_key(self) -> bool:
        return self.__api_key is not None

    # -- images ---------------------------------------------------------------------------------------------------
    def _data_uri(self, ref: ImageRef) -> str:
        """The image's data URI, encoded once per key even when many workers ask for it at the same time."""
        with self._cache_lock:
            if ref.key in self._cache:
                self._cache.move_to_end(ref.key)
                return self._cache[ref.key]
            key_lock = self._key_locks.setdefault(ref.key, threading.Lock())
        with key_lock:
            with self._cache_lock:
                if ref.key in self._cache:
                    return self._cache[ref.key]
            uri = encode_image(ref.load(), fmt=self.image_format)
            with self._cache_lock:
                self._cache[ref.key] = uri
                while len(self._cache) > self._cache_size:
                    old, _ = self._cache.popitem(last=False)
                    self._key_locks.pop(old, None)
        return uri

    def build_body(self, prompt: Prompt) -> dict:
        """The JSON body for one prompt (image first, then the question, as in the official Qwen path)."""
        content: list[dict] = []
        if prompt.image is not None:
            content.append({"type": "image_url", "image_url": {"url": self._data_uri(prompt.image)}})
        content.append({"type": "text", "text": prompt.text})
        messages = []
        if prompt.system:
            messages.append({"role": "system", "content": prompt.system})
        messages.append({"role": "user", "content": content})
        body = {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                "temperature": self.temperature}
        body.update(self.extra_body)
        return body

    def check(self, wait_s: float = 0.0, log=None) -> None:
        """Fail fast (:class:`ConfigError`) when nothing listens at the server address, instead of retrying every
        sample against a dead endpoint. A *local* server (127.0.0.1, localhost, ::1) that refuses the connection
        is given up to ``wait_s`` seconds to start listening (``serve-sim &`` followed at once by ``eval``); any
        other failure — or a remote host — is refused at once."""
        address = (self._host, self._port or (443 if self._scheme == "https" else 80))
        local = self._host in LOCAL_HOSTS
        end = time.monotonic() + (max(0.0, wait_s) if local else 0.0)
        announced = False
        while True:
            try:
                socket.create_connection(address, timeout=min(10.0, self.timeout_s)).close()
                return
            except ConnectionRefusedError as exc:
                if time.monotonic() >= end:
                    waited = f" (waited {wait_s:g} s for the local server to start)" if local and wait_s > 0 else ""
                    raise ConfigError(f"cannot reach the model server at {self.base_url}: {exc}{waited}; start "
                                      f"the server first, or check the URL in --model") from None
                if not announced and log is not None:
                    log(f"waiting up to {wait_s:g} s for the model server at {self.base_url} to listen ...")
                    announced = True
                time.sleep(0.1)
            except OSError as exc:
                raise ConfigError(f"cannot reach the model server at {self.base_url}: {exc}; check the URL in "
                                  f"--model") from None

    # -- transport ------------------------------------------------------------------------------------------------
    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and time.monotonic() - getattr(self._local, "used", 0.0) > KEEPALIVE_IDLE_S:
            self._drop_connection()  # servers close idle keep-alive connections (serve-sim after 30 s, with a 408)
            conn = None
        if conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self.timeout_s)
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _post_once(self, payload: bytes) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.__api_key:
            headers["Authorization"] = f"Bearer {self.__api_key}"
        conn = self._connection()
        timeout = _HTTPFailure(f"timeout: no complete response within {self.timeout_s:g} s (the deadline of one "
                               f"attempt)", retryable=True)
        armed = self._deadlines.arm(time.monotonic() + self.timeout_s, conn)
        try:
            conn.request("POST", self._path, body=payload, headers=headers)
            resp = conn.getresponse()
            data = resp.read(MAX_REPLY_BYTES + 1)
            if len(data) > MAX_REPLY_BYTES:
                self._drop_connection()
                raise _HTTPFailure(f"reply of HTTP {resp.status} is over {MAX_REPLY_BYTES} bytes; expected a chat "
                                   f"completion", retryable=False)
        except TimeoutError as exc:
            self._drop_connection()
            raise timeout from exc
        except (OSError, http.client.HTTPException) as exc:
            self._drop_connection()
            if armed.fired:  # the watchdog shut the socket: the deadline passed
                raise timeout from exc
            raise _HTTPFailure(f"connection error: {type(exc).__name__}: {exc}", retryable=True) from exc
        finally:
            self._deadlines.disarm(armed)
            self._local.used = time.monotonic()
        if armed.fired:  # the reply completed just as the deadline passed: the socket may be shut, do not reuse it
            self._drop_connection()
            raise timeout
        if resp.status != 200:
            if resp.getheader("Connection", "").lower() == "close":
                self._drop_connection()
            retry_after = None
            ra = resp.getheader("Retry-After")
            if ra:
                try:
                    retry_after = float(ra)
                except ValueError:
                    retry_after = None
            snippet = data[:200].decode("utf-8", "replace").strip()
            raise _HTTPFailure(f"HTTP {resp.status}: {snippet}", retryable=resp.status in RETRYABLE_STATUS,
                               retry_after=retry_after)
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            raise _HTTPFailure(f"response is not JSON: {data[:120]!r}", retryable=True) from exc

    def complete(self, prompt: Prompt) -> Generation:
        """One prompt with retries; never raises for transport/server failures (returns ``Generation.error``)."""
        t0 = time.perf_counter()
        try:
            payload = json.dumps(self.build_body(prompt)).encode("utf-8")
        except Exception as exc:  # unreadable image etc.: reported on the sample
            return Generation("", None, time.perf_counter() - t0, error=f"request not built: {exc}", attempts=0)
        attempts = 0
        last = ""
        while True:
            attempts += 1
            try:
                data = self._post_once(payload)
                text, tokens = _parse_completion(data)
                return Generation(text, tokens, time.perf_counter() - t0, attempts=attempts)
            except _HTTPFailure as exc:
                last = str(exc)
                if not exc.retryable or attempts > self.retry.max_retries or self._closing:
                    break
                with self._rng_lock:
                    wait = self.retry.delay(attempts - 1, self._rng, exc.retry_after)
                time.sleep(wait)
        return Generation("", None, time.perf_counter() - t0, error=f"{last} (after {attempts} attempt(s))",
                          attempts=attempts)

    def generate(self, prompts: Sequence[Prompt]) -> list[Generation]:
        out: list[Generation | None] = [None] * len(prompts)
        for i, g in self.stream(prompts):
            out[i] = g
        return out  # type: ignore[return-value]

    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Generation]]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="rewardmap-http")
        pending = iter(enumerate(prompts))
        in_flight = {}
        # keep at most 2×concurrency requests queued so images are encoded just in time and memory stays flat
        for i, p in pending:
            in_flight[self._pool.submit(self.complete, p)] = i
            if len(in_flight) >= 2 * self.concurrency:
                break
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for fut in done:
                i = in_flight.pop(fut)
                yield i, fut.result()
                nxt = next(pending, None)
                if nxt is not None:
                    in_flight[self._pool.submit(self.complete, nxt[1])] = nxt[0]

    def close(self, wait: bool = True) -> None:
        """Stop the worker pool: queued requests are cancelled; with ``wait`` the ones in flight finish first."""
        self._closing = not wait
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None
        if wait:
            self._deadlines.stop()


class _Armed:
    __slots__ = ("conn", "deadline", "done", "fired")

    def __init__(self, conn: http.client.HTTPConnection, deadline: float) -> None:
        self.conn = conn
        self.deadline = deadline
        self.fired = False
        self.done = False


class _Deadlines:
    """One watchdog thread for all attempts of a backend: when an attempt passes its deadline, its socket is shut
    down, which ends a blocked ``send``/``recv`` at once (a socket timeout alone bounds each read, not the whole
    reply). An attempt still connecting is checked again every 50 ms until it has a socket or is done."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Armed]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._finished = 0

    def arm(self, deadline: float, conn: http.client.HTTPConnection) -> _Armed:
        entry = _Armed(conn, deadline)
        with self._cond:
            heapq.heappush(self._heap, (deadline, next(self._seq), entry))
            self._stopped = False
            if self._thread is None:  # none yet, or the last one has left its loop (it clears this under the lock)
                self._thread = threading.Thread(target=self._run, name="rewardmap-http-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()
        return entry

    def disarm(self, entry: _Armed) -> None:
        with self._cond:
            entry.done = True
            self._finished += 1
            if self._finished > 1024 and 2 * self._finished > len(self._heap):  # drop finished entries, amortised O(1)
                self._heap = [x for x in self._heap if not x[2].done]
                heapq.heapify(self._heap)
                self._finished = 0

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                    self._finished = max(0, self._finished - 1)
                if not self._heap:
                    self._cond.wait(1.0)
                    continue
                due, _, entry = self._heap[0]
                now = time.monotonic()
                if due > now:
                    self._cond.wait(due - now)
                    continue
                heapq.heappop(self._heap)
                entry.fired = True
                sock = entry.conn.sock
                if sock is None:  # still connecting (bounded by the connect timeout): look again soon
                    heapq.heappush(self._heap, (now + 0.05, next(self._seq), entry))
                    continue
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._thread = None


def _describe(value) -> str:
    if value is None:
        return "missing (null)"
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def _bad_shape(where: str, value, expected: str) -> _HTTPFailure:
    return _HTTPFailure(f"unexpected response: {where} is {_describe(value)}, expected {expected}", retryable=False)


def _token_count(usage) -> int | None:
    """``usage.completion_tokens`` when it is a finite non-negative whole number, else ``None`` (a server's broken
    token count is not worth losing the answer for)."""
    if not isinstance(usage, dict):
        return None
    n = usage.get("completion_tokens")
    if isinstance(n, bool) or not isinstance(n, int | float):
        return None
    if isinstance(n, float) and (not math.isfinite(n) or not n.is_integer()):
        return None
    return int(n) if n >= 0 else None


def _scrub(text: str) -> str:
    """Lone surrogates (``"\\ud800"`` in a JSON reply) cannot be written as UTF-8: each becomes U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


def _parse_completion(data) -> tuple[str, int | None]:
    """Text and token count of a chat-completion body; any other shape raises a non-retryable ``_HTTPFailure``
    naming the field, what it held and what was expected."""
    if not isinstance(data, dict):
        raise _bad_shape("the body", data, "a JSON object with 'choices'")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        raise _bad_shape("'choices'", choices, "a non-empty list")
    if not isinstance(choices[0], dict):
        raise _bad_shape("choices[0]", choices[0], "an object with 'message'")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise _bad_shape("choices[0].message", message, "an object with 'content'")
    content = message.get("content")
    if content is None:
        content = ""
    elif isinstance(content, list):  # some servers return content parts
        texts = []
        for i, part in enumerate(content):
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict):
                if part.get("type", "text") != "text":
                    continue  # e.g. an image part: not text
                if not isinstance(part.get("text"), str):
                    raise _bad_shape(f"choices[0].message.content[{i}].text", part.get("text"), "a string")
                texts.append(part["text"])
            else:
                raise _bad_shape(f"choices[0].message.content[{i}]", part, "a string or an object with 'text'")
        content = "".join(texts)
    elif not isinstance(content, str):
        raise _bad_shape("choices[0].message.content", content, "a string, a list of parts or null")
    reasoning = message.get("reasoning_content")
    if reasoning is not None and not isinstance(reasoning, str):
        raise _bad_shape("choices[0].message.reasoning_content", reasoning, "a string or null")
    if reasoning:  # keep a reasoning model's thoughts so answer extraction sees the same text as a local run
        content = f"<think>{reasoning}</think>{content}"
    return _scrub(content), _token_count(data.get("usage"))
