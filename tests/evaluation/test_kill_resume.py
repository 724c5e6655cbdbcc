"""Resume after ``kill -9``: real processes (``rewardmap serve-sim`` and ``rewardmap eval``), the eval process is
killed twice mid-run (once with a torn last line left behind), and the re-run finishes with every sample exactly
once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "rewardmap.cli"]


def _wait_for(pred, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def test_kill_9_mid_run_then_resume(synth_dataset, tmp_path):
    port_file = tmp_path / "port"
    server = subprocess.Popen([*CLI, "serve-sim", "--data", str(synth_dataset / "reasonmap"), "--port", "0",
                                     "--port-file", str(port_file), "--delay-ms", "15"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: port_file.exists() and port_file.read_text().strip(), 30, "serve-sim to listen")
        url = f"http://127.0.0.1:{port_file.read_text().strip()}/v1"
        out = tmp_path / "run"
        cmd = [*CLI, "eval", "--benchmark", "reasonmap", "--data", str(synth_dataset / "reasonmap"),
                     "--model", f"openai:sim@{url}", "--out", str(out), "--concurrency", "2", "--quiet"]
        results = out / "results.jsonl"
        for stop_at in (25, 70):
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            _wait_for(lambda n=stop_at: _lines(results) >= n, 60, f"{stop_at} results")
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            assert proc.returncode == -signal.SIGKILL
        # leave a torn record behind, as a kill during write() would
        with results.open("ab") as f:
            f.write(b'{"id":"999:short","benchmark":"reason')
        before = _lines(results)
        assert 70 <= before < 160
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "partial last line" in done.stderr and "already done" in done.stderr
    finally:
        server.kill()
        server.wait(10)
    raw = results.read_bytes()
    assert raw.endswith(b"\n")
    recs = [json.loads(x) for x in raw.splitlines()]
    ids = [r["id"] for r in recs]
    assert len(ids) == len(set(ids)) == 160  # 80 rows × (short, long): none lost, none twice
    assert all(r["correct"] and r["error"] is None for r in recs)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["short"]["n"] == summary["long"]["n"] == 80 and summary["short"]["acc"] == 1.0
