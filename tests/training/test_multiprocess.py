"""Two processes (``torchrun --nproc_per_node 2``, DDP over gloo on the CPU) run the curriculum correctly
(integration): each process gets distinct prompts with all their completions, stage order holds, one set of
outputs is written, and a run killed with ``kill -9`` resumes to the weights of the uninterrupted run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .test_resume import kill_after_checkpoint

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("grpo_script.py")


def torchrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", *args]


def env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO / "src")}


def run(cmd: list[str], cwd: Path = REPO) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    return done.stdout


def received(out: Path, rank: int) -> dict[int, list[int]]:
    """Step → dataset row of every completion process ``rank`` scored."""
    lines = (out / f"received-rank{rank}.jsonl").read_text().splitlines()
    return {d["step"] + 1: d["rows"] for d in map(json.loads, lines)}


@pytest.fixture(scope="module")
def two_process_runs(tmp_path_factory, tiny_policy_dir):
    tmp = tmp_path_factory.mktemp("ddp")
    full, cut = tmp / "full", tmp / "cut"
    run(torchrun(str(SCRIPT), str(full), str(tiny_policy_dir)))
    kill_after_checkpoint(torchrun(str(SCRIPT), str(cut), str(tiny_policy_dir)), cut / "checkpoints" / "step-000004",
                          env=env())
    run(torchrun(str(SCRIPT), str(cut), str(tiny_policy_dir), "--resume"))
    return full, cut


def test_each_process_gets_distinct_prompts_with_their_whole_group(two_process_runs):
    full, _ = two_process_runs
    ranks = [received(full, 0), received(full, 1)]
    assert sorted(ranks[0]) == sorted(ranks[1]) == [1, 2, 3, 4, 5, 6]
    logged = [json.loads(line) for line in (full / "metrics.jsonl").read_text().splitlines()]
    for rec in logged:
        step = rec["step"]
        per_rank = [ranks[r][step] for r in (0, 1)]
        for rows in per_rank:  # 1 prompt × 2 completions per process: the group is on one process
            assert len(rows) == 2 and len(set(rows)) == 1
        assert per_rank[0][0] != per_rank[1][0]  # distinct prompts across processes
        assert rec["rows"] == [per_rank[0][0], per_rank[1][0]]  # the log holds what the processes received


def test_two_processes_keep_the_stage_order_and_write_one_set_of_outputs(two_process_runs):
    full, _ = two_process_runs
    logged = [json.loads(line) for line in (full / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in logged] == [1, 2, 3, 4, 5, 6]  # one writer: no line twice
    assert [r["stage"] for r in logged] == ["plus"] * 3 + ["planning"] * 3
    assert all(set(r["types"]) <= {"TorF1", "TorF2", "Counting1", "Counting2", "Counting3"} for r in logged[:3])
    assert all(set(r["types"]) == {"planning"} for r in logged[3:])
    assert (full / "final" / "model.safetensors").is_file() and (full / "summary.json").is_file()
    assert sorted(p.name for p in (full / "checkpoints").iterdir()) == [f"step-{s:06d}" for s in range(1, 7)]
    rng = __import__("torch").load(full / "checkpoints" / "step-000006" / "rng.pt", weights_only=False)
    assert len(rng) == 2  # every process's generator state


def test_a_two_process_run_resumes_after_kill_9_to_the_same_weights(two_process_runs):
    import torch
    from safetensors.torch import load_file

    full, cut = two_process_runs
    a = [json.loads(line) for line in (full / "metrics.jsonl").read_text().splitlines()]
    b = [json.loads(line) for line in (cut / "metrics.jsonl").read_text().splitlines()]
    assert [r["rows"] for r in b] == [r["rows"] for r in a]
    assert [r["learning_rate"] for r in b] == pytest.approx([r["learning_rate"] for r in a], rel=1e-9)
    summary = json.loads((cut / "summary.json").read_text())
    assert summary["resumed_from"].endswith("step-000004")  # mid-way through the second stage
    wa, wb = load_file(str(full / "final" / "model.safetensors")), load_file(str(cut / "final" / "model.safetensors"))
    for k in wa:
        assert torch.allclose(wa[k], wb[k], rtol=1e-5, atol=1e-7), k


def test_python_m_rewardmap_trains_the_tiny_recipe_on_two_processes(tmp_path, tiny_policy_dir):
    out = tmp_path / "run"
    printed = run(torchrun("-m", "rewardmap", "train", "--config", "configs/tiny-cpu.yaml",
                           f"run.output_dir={out}", f"model.tiny_cache={tiny_policy_dir}", "data.synthetic.cities=3",
                           "data.max_pixels=12544", "sft.max_steps=2", "curriculum.steps_per_stage=1",
                           "grpo.prompts_per_step=2", "grpo.num_generations=2", "grpo.max_completion_length=8",
                           "run.progress=false", "run.report_to=[]"))
    assert printed.count("final model:") == 1  # one process prints, one writes
    logged = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in logged] == ["torf", "counting23", "counting1", "planning"]
    assert all(len(r["rows"]) == 2 and len(set(r["rows"])) == 2 for r in logged)
    assert (out / "sft" / "final" / "sft_log.json").is_file() and (out / "final" / "model.safetensors").is_file()
    assert (out / "report.md").is_file()
