"""serve-sim answers like a real OpenAI-compatible server whatever a client sends (issue 13, F13–F15; issue 15
item 1): 413 for a body over the limit (without reading it), 400 with a JSON error body for malformed requests, 408
for a connection that stays idle, a bounded number of threads however many connections are open, a "listening" line
once bound, and a clear refusal of a --data folder that holds no questions. Raw sockets on 127.0.0.1 only."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from rewardmap.evaluation.server import SimServer
from rewardmap.evaluation.simulator import SimulatedModel

ROWS = [{"type": "TorF1", "question": f"Is {i} on the same line?", "answer": i % 2} for i in range(4)]


def _read_reply(sock: socket.socket, timeout: float = 5.0) -> tuple[int, dict, dict]:
    """(status, headers, JSON body) of one HTTP reply read from ``sock``; fails when none comes within ``timeout``."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without an HTTP reply (got {data[:80]!r})"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    n = int(headers.get("content-length", 0))
    while len(rest) < n:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the middle of the reply body"
        rest += chunk
    return status, headers, json.loads(rest[:n]) if n else {}


def _post(port: int, body: bytes, *, length: str | None = None, extra: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    cl = str(len(body)) if length is None else length
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 + b"Content-Length: " + cl.encode() + b"\r\n" + extra + b"\r\n" + body)
    return sock


@pytest.fixture()
def server():
    with SimServer(SimulatedModel(ROWS), max_body_bytes=10_000, idle_timeout_s=0.6) as srv:
        yield srv


def _port(srv: SimServer) -> int:
    return srv.server_address[1]


@pytest.mark.parametrize(("body", "length", "what"), [
    (b"{not json", None, "not JSON"),
    (b"[1, 2, 3]", None, "JSON object"),
    (b'{"messages": "hello"}', None, "messages"),
    (b'{"messages": [1, {"role": "user", "content": 5}]}', None, "question not found"),
    (b"[" * 50_000 + b"]" * 50_000, None, "not JSON"),
    (b"\xff\xfe{}", None, "not JSON"),
    (b"{}", "abc", "Content-Length"),
    (b"{}", "-5", "Content-Length"),
    (b"{}", "1e3", "Content-Length"),
])
def test_malformed_requests_get_400_with_a_json_error(server, body, length, what):
    if len(body) > 10_000:  # the deep-nesting case must fit under the body limit of this server
        server.max_body_bytes = len(body) + 1
    with _post(_port(server), body, length=length) as sock:
        status, headers, payload = _read_reply(sock)
    assert status == 400 and headers["content-type"] == "application/json"
    assert payload["error"]["type"] == "invalid_request_error" and what in payload["error"]["message"], payload


def test_a_missing_content_length_gets_411(server):
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=5) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, payload = _read_reply(sock)
    assert status == 411 and "Content-Length" in payload["error"]["message"]


@pytest.mark.parametrize(("raw", "status", "what"), [
    (b"POST /v1/chat/completions HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, "headers over"),
    (b"GARBAGE\r\n\r\n", 400, "malformed request line"),
    (b"POST /v1/chat/completions HTTP/1.1\r\nno colon here\r\n\r\n", 400, "malformed header line"),
])
def test_malformed_framing_gets_an_error_reply(server, raw, status, what):
    with socket.create_connection(("127.0.0.1", _port(server)), timeout=5) as sock:
        sock.sendall(raw)
        got, headers, payload = _read_reply(sock)
    assert got == status and what in payload["error"]["message"] and headers.get("connection") == "close"


def test_a_body_over_the_limit_gets_413_without_being_read(server):
    # announce 300 MB, send 1 kB: the reply must come at once, not after the server tried to read it all
    t0 = time.monotonic()
    with _post(_port(server), b"x" * 1000, length=str(300 * 2**20)) as sock:
        status, headers, payload = _read_reply(sock, timeout=3)
    assert status == 413 and time.monotonic() - t0 < 2
    assert "10000" in payload["error"]["message"] and headers.get("connection") == "close"
    # a real oversized body, sent whole
    with _post(_port(server), b'{"messages": []}' + b" " * 20_000) as sock:
        assert _read_reply(sock)[0] == 413


def test_an_idle_connection_gets_408_and_is_closed(server):
    for partial in (b"", b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", b"POST /v1/chat/completions "
                    b"HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"mess"):
        with socket.create_connection(("127.0.0.1", _port(server)), timeout=5) as sock:
            sock.sendall(partial)
            t0 = time.monotonic()
            status, headers, payload = _read_reply(sock, timeout=4)
            assert status == 408 and 0.4 < time.monotonic() - t0 < 3, partial
            assert headers.get("connection") == "close" and payload["error"]["message"]
            sock.settimeout(2)
            assert sock.recv(10) == b""  # closed by the server


def test_many_idle_connections_hold_no_threads_and_do_not_starve_a_client():
    with SimServer(SimulatedModel(ROWS), idle_timeout_s=30) as srv:
        before = threading.active_count()
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        n = max(100, min(1000, (soft - 200) // 2))  # the 1,000 where the descriptor limit allows it
        idle = [socket.create_connection(("127.0.0.1", _port(srv)), timeout=5) for _ in range(n)]
        try:
            time.sleep(0.3)
            assert threading.active_count() - before < 20, threading.active_count() - before
            body = json.dumps({"messages": [{"role": "user", "content": ROWS[1]["question"]}]}).encode()
            t0 = time.monotonic()
            with _post(_port(srv), body) as sock:
                status, _, payload = _read_reply(sock, timeout=5)
            assert status == 200 and payload["choices"][0]["message"]["content"].endswith("{yes}")
            assert time.monotonic() - t0 < 2
            assert threading.active_count() - before < 20
        finally:
            for s in idle:
                s.close()


def test_keep_alive_serves_several_requests_on_one_connection(server):
    body = json.dumps({"messages": [{"role": "user", "content": ROWS[0]["question"]}]}).encode()
    with _post(_port(server), body) as sock:
        assert _read_reply(sock)[0] == 200
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: " + str(len(body)).encode()
                     + b"\r\n\r\n" + body)
        status, _, payload = _read_reply(sock)
    assert status == 200 and payload["choices"][0]["message"]["content"].endswith("{no}")


def test_serve_sim_says_when_it_listens(synth_dataset):
    proc = subprocess.Popen([sys.executable, "-m", "rewardmap.cli", "serve-sim", "--data",
                             str(synth_dataset / "reasonmap-plus"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = proc.stdout.readline()
        assert "ready" in line and "listening on http://127.0.0.1:" in line, line
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:  # really listening
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, payload = _read_reply(sock)
        assert status == 200 and payload["questions"] > 0
    finally:
        proc.kill()
        proc.wait(10)


def test_serve_sim_data_folder_of_datasets_and_empty_folder(synth_dataset, tmp_path):
    from rewardmap.errors import ConfigError
    from rewardmap.evaluation.commands import load_sim_data

    logs: list[str] = []
    rows = load_sim_data([str(synth_dataset)], "test", None, log=logs.append)  # the parent of the datasets
    assert rows and {r["type"] for r in rows} >= {"TorF1", "Counting1"}
    assert any("reasonmap-plus" in m for m in logs), logs
    planning = load_sim_data([str(synth_dataset / "reasonmap")], None, None, log=logs.append)
    assert planning and "question_short" in planning[0]  # ReasonMap rows: two question columns, no 'question'
    with pytest.raises(ConfigError, match="no questions"):  # datasets inside, none with that split
        load_sim_data([str(synth_dataset)], "nosuch", None, log=logs.append)
    assert "skipped" in logs[-1]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="no questions") as exc:
        load_sim_data([str(tmp_path / "empty")], None, None, log=logs.append)
    assert "reasonmap-plus" in str(exc.value)  # says what was expected
