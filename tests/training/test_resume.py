"""Exact resume (integration): an uninterrupted run vs the same run killed with SIGKILL mid-stage and resumed.

Same rows per step, same learning rate per step (a warm-up + linear decay schedule spanning both stages), final
weights allclose. The cut run is a real training process (``grpo_script.py``) killed with ``kill -9`` as soon as
its checkpoint of step 4 (mid-way through the second stage) exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .grpo_script import char_reward, config
from .standin import stand_in_dataset

pytestmark = pytest.mark.integration
SCRIPT = Path(__file__).with_name("grpo_script.py")


def kill_after_checkpoint(cmd: list[str], ckpt: Path, *, timeout: float = 300, env=None) -> None:
    """Start ``cmd`` in its own process group and SIGKILL the whole group once ``ckpt`` exists. The run is told to
    stall in the step after that checkpoint (``RM_TEST_STALL_AT_STEP``), so the cut always falls there."""
    step = int(ckpt.name.split("-")[1])
    env = {**(env or os.environ), "RM_TEST_STALL_AT_STEP": str(step)}
    log = ckpt.parents[2] / f"{ckpt.parents[1].name}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, start_new_session=True, stdout=sink, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    try:
        while not ckpt.is_dir():
            if proc.poll() is not None:
                raise AssertionError(f"the run ended before {ckpt.name}: {log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {ckpt} after {timeout} s")
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture(scope="module")
def full_and_resumed(tmp_path_factory, tiny_policy_dir):
    from safetensors.torch import load_file

    from rewardmap.training.engines.trl import ROW_ID, run_grpo

    tmp = tmp_path_factory.mktemp("resume")
    ds = stand_in_dataset(per_type=4)
    received: dict[str, list[list[tuple[int, str]]]] = {"full": [], "resumed": []}

    def recording(run: str):
        def recording_reward(completions, **kwargs):
            received[run].append(list(zip(kwargs[ROW_ID][::2], kwargs["type"][::2])))
            return char_reward(completions)

        return recording_reward

    full = run_grpo(config(tmp / "full", tiny_policy_dir), ds, lambda p: ([recording("full")], None))
    cut = tmp / "cut"
    kill_after_checkpoint([sys.executable, str(SCRIPT), str(cut), str(tiny_policy_dir)],
                          cut / "checkpoints" / "step-000004")
    killed_at = max(int(p.name.split("-")[1]) for p in (cut / "checkpoints").glob("step-??????"))
    resumed = run_grpo(config(cut, tiny_policy_dir), ds, lambda p: ([recording("resumed")], None), resume=True)
    weights = {name: load_file(str(r.final_model / "model.safetensors")) for name, r in
               (("full", full), ("resumed", resumed))}
    return {"full": full, "resumed": resumed, "received": received, "weights": weights, "killed_at": killed_at,
            "initial": load_file(str(tiny_policy_dir / "model.safetensors"))}


def test_resume_after_kill_9_continues_mid_stage_with_the_same_rows(full_and_resumed):
    full, resumed = full_and_resumed["full"], full_and_resumed["resumed"]
    assert full_and_resumed["killed_at"] == 4  # the cut fell inside the second stage (steps 4–6)
    assert resumed.resumed_from.name == f"step-{full_and_resumed['killed_at']:06d}"
    assert [s.step for s in resumed.steps] == [1, 2, 3, 4, 5, 6]
    assert [s.stage for s in resumed.steps] == ["plus"] * 3 + ["planning"] * 3
    assert [s.rows for s in resumed.steps] == [s.rows for s in full.steps]
    assert [s.types for s in resumed.steps] == [s.types for s in full.steps]


def test_resume_keeps_one_learning_rate_schedule_across_stages(full_and_resumed):
    full, resumed = full_and_resumed["full"], full_and_resumed["resumed"]
    lrs = full.metric("learning_rate")
    # the rate of each step: warm-up over ceil(0.34 · 6) = 3 steps, then linear decay to 0 at the end of the run,
    # across the stage boundary — one schedule, not a new one per stage
    assert lrs == pytest.approx([1e-3 * s / 3 for s in range(0, 3)] + [1e-3 * (6 - s) / 3 for s in range(3, 6)])
    assert resumed.metric("learning_rate") == pytest.approx(lrs, rel=1e-9, abs=0)


def test_resume_reproduces_the_final_weights(full_and_resumed):
    import torch

    w = full_and_resumed["weights"]
    initial = full_and_resumed["initial"]
    assert set(w["full"]) == set(w["resumed"])
    moved = [k for k in initial if not torch.equal(initial[k], w["full"][k])]
    assert len(moved) > len(initial) // 2
    for k in w["full"]:
        assert torch.allclose(w["full"][k], w["resumed"][k], rtol=1e-5, atol=1e-7), k


def test_logged_rows_and_types_are_those_of_the_batch_trl_received(full_and_resumed):
    full, resumed = full_and_resumed["full"], full_and_resumed["resumed"]
    # read inside the reward function: what GRPOTrainer handed it, step by step
    received, after_resume = full_and_resumed["received"]["full"], full_and_resumed["received"]["resumed"]
    assert len(received) == len(full.steps) == 6
    assert [[r for r, _ in step] for step in received] == [s.rows for s in full.steps]
    assert [[t for _, t in step] for step in received] == [s.types for s in full.steps]
    cut = full_and_resumed["killed_at"]
    assert [[r for r, _ in step] for step in after_resume] == [s.rows for s in resumed.steps[cut:]]
    assert [[t for _, t in step] for step in after_resume] == [s.types for s in resumed.steps[cut:]]
    on_disk = [json.loads(line) for line in (full.output_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["rows"] for r in on_disk] == [s.rows for s in full.steps]


def test_checkpoints_hold_everything_an_exact_resume_needs(full_and_resumed):
    import torch

    resumed = full_and_resumed["resumed"]
    last = sorted((resumed.output_dir / "checkpoints").glob("step-??????"))[-1]
    assert {"model.safetensors", "optimizer.pt", "scheduler.pt", "rng.pt", "rewardmap_state.json"} <= \
        {p.name for p in last.iterdir()}
    rng = torch.load(last / "rng.pt", weights_only=False)
    assert len(rng) == 1 and {"python", "numpy", "torch"} <= set(rng[0])
    state = json.loads((last / "rewardmap_state.json").read_text())
    assert state["world_size"] == 1 and state["sampler"]["global_step"] == 6
    assert not list((resumed.output_dir / "checkpoints").glob("*.tmp"))
