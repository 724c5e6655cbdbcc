"""lmms-eval's own OpenAI-compatible chat model, run through our task files (``--include_path``) against
``rewardmap serve-sim`` on 127.0.0.1, reports the same figures as ``rewardmap eval`` on the same server
(``make test-lmms-eval``: lmms-eval 0.7.3 in .venv-lmms-eval)."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

# "lmms_eval.api.task", not "lmms_eval": tests/lmms_eval itself would import as a namespace package "lmms_eval"
pytest.importorskip("lmms_eval.api.task", reason="lmms-eval is not installed here: run `make test-lmms-eval`")

from rewardmap.integrations.lmms_eval import TASKS_DIR

pytestmark = pytest.mark.lmms_eval
BIN = Path(sys.executable).parent


def _run(*cmd, env=None, timeout=600) -> str:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("lmms")
    rm = BIN / "rewardmap"
    _run(rm, "synth", "--cities", "3", "--out", root / "synth", "--size", "256", "--seed", "0")
    # two test cities of different map difficulty, so the weighted figures differ from the plain ones
    _run(rm, "data", "build", "--stations", root / "synth" / "stations", "--out", root / "ds", "--quiet",
         "--split-test-cities", "mvik,benheim")
    port_file = root / "port"
    server = subprocess.Popen([str(rm), "serve-sim", "--data", str(root / "ds"), "--port", "0", "--port-file",
                               str(port_file), "--seed", "3", "--error", "wrong_line=0.3", "--error",
                               "off_by_one=0.3", "--error", "misread_station=0.2"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            if port_file.is_file() and port_file.read_text().strip():
                break
            assert server.poll() is None, "serve-sim exited"
            time.sleep(0.1)
        url = f"http://127.0.0.1:{port_file.read_text().strip()}/v1"
        yield root, url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _rewardmap_eval(root: Path, url: str, benchmark: str) -> dict:
    out = root / f"eval-{benchmark}"
    _run(BIN / "rewardmap", "eval", "--benchmark", benchmark, "--data", root / "ds" / benchmark, "--root",
         root / "ds", "--model", f"openai:sim@{url}", "--out", out, "--quiet")
    return json.loads((out / "summary.json").read_text())


def _lmms_eval(root: Path, url: str, tasks: str) -> dict:
    out = root / f"lmms-{tasks.replace(',', '-')}"
    env = {**os.environ, "REWARDMAP_LMMS_DATA": str(root / "ds"), "OPENAI_API_KEY": "sk-test",
           "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    _run(sys.executable, "-m", "lmms_eval", "eval", "--include_path", TASKS_DIR, "--tasks", tasks, "--model",
         "openai", "--model_args", f"model_version=sim,base_url={url}", "--output_path", out, "--batch_size", "1",
         env=env)
    (result,) = glob.glob(str(out / "**" / "*_results.json"), recursive=True)
    return json.loads(Path(result).read_text())["results"]


def test_reasonmap_short_and_long_match_rewardmap_eval(setup):
    root, url = setup
    ours = _rewardmap_eval(root, url, "reasonmap")
    theirs = _lmms_eval(root, url, "reasonmap")
    for kind in ("short", "long"):
        got, want = theirs[f"reasonmap_{kind}"], ours[kind]
        assert 0 < want["acc"] < 1 and want["w_acc"] != want["acc"], "a test that can tell the figures apart"
        assert got["accuracy,none"] == pytest.approx(want["acc"], abs=1e-12)
        assert got["weighted_accuracy,none"] == pytest.approx(want["w_acc"], abs=1e-12)
        assert got["map_score,none"] == pytest.approx(want["map"], abs=1e-12)
        assert got["weighted_map_score,none"] == pytest.approx(want["w_map"], abs=1e-12)


def test_reasonmap_plus_matches_rewardmap_eval(setup):
    root, url = setup
    ours = _rewardmap_eval(root, url, "reasonmap-plus")
    got = _lmms_eval(root, url, "reasonmap_plus")["reasonmap_plus"]
    assert 0 < ours["overall"]["acc"] < 1 and ours["overall"]["w_acc"] != ours["overall"]["acc"]
    assert got["accuracy,none"] == pytest.approx(ours["overall"]["acc"], abs=1e-12)
    assert got["weighted_accuracy,none"] == pytest.approx(ours["overall"]["w_acc"], abs=1e-12)
    assert got["count_weighted_accuracy,none"] == pytest.approx(ours["count"]["w_acc"], abs=1e-12)
    assert got["torf_weighted_accuracy,none"] == pytest.approx(ours["torf"]["w_acc"], abs=1e-12)
