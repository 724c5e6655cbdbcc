"""``rewardmap verl paths`` / ``rewardmap verl prepare`` (no verl needed: runs under ``make test``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import yaml

BIN = Path(sys.executable).parent


def _rewardmap(*args) -> str:
    proc = subprocess.run([str(BIN / "rewardmap"), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_paths_name_existing_files():
    lines = dict(line.split("=", 1) for line in _rewardmap("verl", "paths").splitlines())
    assert Path(lines["reward.custom_reward_function.path"]).is_file()
    assert Path(lines["data.custom_cls.path"]).is_file()
    assert (Path(lines["recipes"]) / "rewardmap_qwen25vl_7b.yaml").is_file()


def test_prepare_writes_parquet_config_and_command(tmp_path):
    out = _rewardmap("verl", "prepare", "--out", tmp_path, "data.synthetic.cities=2", "data.synthetic.size=256",
                     "grpo.num_generations=6", "curriculum.preset=coarse", f"run.output_dir={tmp_path}")
    assert "bash " in out
    verl = tmp_path / "verl"
    doc = yaml.safe_load((verl / "rewardmap_run.yaml").read_text())
    assert doc["actor_rollout_ref"]["rollout"]["n"] == 6
    assert [s["name"] for s in doc["data"]["rewardmap_curriculum"]["stages"]] == ["plus", "planning"]
    stages = [e["stage"] for e in pq.read_table(verl / "train.parquet").column("extra_info").to_pylist()]
    assert stages == sorted(stages, key=["plus", "planning"].index) and set(stages) == {"plus", "planning"}
    assert "verl.trainer.main_ppo" in (verl / "launch.sh").read_text()
