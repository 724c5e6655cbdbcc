"""The README's complete-run block, pasted into a shell as a user would (issue 15 item 1): ``serve-sim`` started in
the background and ``eval`` at once after it must work without a sleep in between.

The block is read from README.md and run by ``bash -e`` with only its paths (``/tmp/`` → a test folder) and its
port (a free one) changed; ``rewardmap`` is the console script of this environment."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"


def complete_run_block() -> str:
    text = README.read_text(encoding="utf-8")
    m = re.search(r"A complete run on synthetic cities[^\n]*\n+```bash\n(.*?)```", text, re.S)
    assert m, "README.md has no 'A complete run on synthetic cities' bash block"
    return m.group(1)


def test_readme_complete_run_block_runs_as_pasted(tmp_path):
    block = complete_run_block()
    assert "serve-sim" in block and "&" in block and "rewardmap eval" in block
    ports = set(re.findall(r"127\.0\.0\.1:(\d+)|--port (\d+)", block))
    (port,) = {p for pair in ports for p in pair if p}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = str(s.getsockname()[1])
    script = block.replace("/tmp/", f"{tmp_path}/").replace(port, free)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    log = tmp_path / "output.txt"
    with log.open("w") as sink:  # a file, not a pipe: the background serve-sim keeps its stdout open
        proc = subprocess.Popen(["bash", "-e", "-c", script], cwd=tmp_path, env=env, stdout=sink,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=240)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)  # the background serve-sim of this session
            except ProcessLookupError:
                pass
    out = log.read_text()
    assert proc.returncode == 0, out[-3000:]
    assert "Connection refused" not in out and "ready, listening on" in out, out[-3000:]
    eval_dirs = [Path(p.replace("/tmp/", f"{tmp_path}/")) for p in re.findall(r"--out (/tmp/\S+)", block)
                 if "eval" in p]
    assert eval_dirs
    for d in eval_dirs:
        summary = json.loads((d / "summary.json").read_text())
        assert summary["run"]["errors"] == 0 and summary["n"] > 0
        assert (d / "report" / "index.html").is_file()
