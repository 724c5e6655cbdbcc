"""``--resume`` for a new user (issue 15, item 6): no checkpoint → refused before any work; a config that differs
from the checkpoint's → refused naming each field; a resumed run says from which step (terminal and run log).
Also (items 2, 3): no ``is_gradient_checkpointing`` FutureWarning during GRPO steps, and ``run.report_to: [wandb]``
logs every step of every stage on one global step axis."""

from __future__ import annotations

import json
import sys
import time
import types
import warnings
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest

from rewardmap.errors import ConfigError
from rewardmap.training import checkpoint as ckpt
from rewardmap.training.config import load_config

REPO = Path(__file__).resolve().parents[2]


def fake_checkpoint(out: Path, step: int, config) -> Path:
    """A checkpoint folder as the engine writes its state file (weights are not needed to be refused)."""
    path = ckpt.checkpoint_dir(out, step)
    path.mkdir(parents=True)
    (path / ckpt.STATE_FILE).write_text(json.dumps({"global_step": step, "config": config.to_mapping()}))
    return path


def test_resume_without_a_checkpoint_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    from rewardmap.cli import main

    monkeypatch.chdir(REPO)
    out = tmp_path / "run"
    t0 = time.perf_counter()
    # tiny-cpu.yaml runs an 80-step SFT warm-up and builds synthetic cities first: none of that may happen
    code = main(["train", "--config", "configs/tiny-cpu.yaml", f"run.output_dir={out}",
                 f"model.tiny_cache={tmp_path / 'tiny'}", "--resume"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "no checkpoint found" in err and str(out / "checkpoints") in err
    assert not out.exists() and not (tmp_path / "tiny").exists()   # no data, no SFT, no model
    assert time.perf_counter() - t0 < 30


def test_resume_of_a_folder_that_is_no_checkpoint_is_refused(tmp_path):
    (tmp_path / "somewhere").mkdir()
    with pytest.raises(ConfigError, match=r"not a checkpoint \(no rewardmap_state.json\)"):
        ckpt.resume_checkpoint(tmp_path, tmp_path / "somewhere")


def test_a_config_mismatch_names_each_field_with_both_values(tmp_path, capsys, monkeypatch):
    from rewardmap.cli import main

    out = tmp_path / "run"
    base = [f"run.output_dir={out}", "grpo.learning_rate=1e-5", "curriculum.preset=coarse"]
    fake_checkpoint(out, 3, load_config(None, base))
    code = main(["train", *base, "grpo.learning_rate=2e-5", "curriculum.seed=4", "run.progress=false", "--resume"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert "grpo.learning_rate: 1e-05 (checkpoint) vs 2e-05 (now)" in err
    assert "curriculum.seed: 0 (checkpoint) vs 4 (now)" in err
    assert "run.progress" not in err          # how a run reports may change on resume
    assert not (out / "data").exists() and not (out / "sft").exists()


def test_a_resume_with_the_same_layered_config_passes_the_check(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text("grpo: {learning_rate: 3.0e-5}\n")
    saved = load_config([REPO / "configs" / "tiny-cpu.yaml", a], [f"run.output_dir={tmp_path / 'run'}"])
    path = fake_checkpoint(tmp_path / "run", 2, saved)
    ckpt.check_resume_config(path, load_config([REPO / "configs" / "tiny-cpu.yaml", a],
                                               [f"run.output_dir={tmp_path / 'run'}"]).to_mapping())
    with pytest.raises(ConfigError, match=r"grpo.learning_rate: 3e-05 \(checkpoint\) vs 0.0002 \(now\)"):
        ckpt.check_resume_config(path, load_config([REPO / "configs" / "tiny-cpu.yaml"],
                                                   [f"run.output_dir={tmp_path / 'run'}"]).to_mapping())


def test_the_sft_then_rl_config_is_what_the_checkpoint_is_compared_with(tmp_path):
    """With sft.enabled the engine trains (and records) the config whose policy is the SFT output; the early check
    (before the SFT stage) compares that same form."""
    from rewardmap.training.sft import rl_config_after_sft

    cfg = load_config(REPO / "configs" / "tiny-cpu.yaml", [f"run.output_dir={tmp_path}"])
    after = rl_config_after_sft(cfg)
    assert after.model.path == str(tmp_path / "sft" / "final") and after.model.lora is None
    path = fake_checkpoint(tmp_path, 1, after)
    ckpt.check_resume_config(path, rl_config_after_sft(cfg).to_mapping())  # no difference


# -- real GRPO steps (integration) ------------------------------------------------------------------------------------

def fake_wandb():
    """A stand-in ``wandb`` module recording what the run log sends."""
    mod = types.ModuleType("wandb")
    mod.__spec__ = ModuleSpec("wandb", None)
    mod.run = None
    mod.calls = []

    class Run:
        def __init__(self):
            self.summary = {}

        def log(self, data, step=None):
            mod.calls.append(("log", step, dict(data)))

        def finish(self):
            mod.calls.append(("finish",))

    def init(**kwargs):
        mod.calls.append(("init", kwargs))
        mod.run = Run()
        return mod.run

    def finish():
        mod.calls.append(("finish",))
        mod.run = None

    mod.init, mod.finish = init, finish
    return mod


@pytest.mark.integration
def test_resumed_grpo_run_says_from_which_step_warns_nothing_and_reports_to_wandb(tmp_path, tiny_policy_dir, capsys,
                                                                                  monkeypatch):
    from rewardmap.training.engines.trl import run_grpo

    from .grpo_script import char_reward
    from .standin import stand_in_dataset

    wandb = fake_wandb()
    monkeypatch.setitem(sys.modules, "wandb", wandb)
    out = tmp_path / "run"
    over = [f"run.output_dir={out}", f"model.tiny_cache={tiny_policy_dir}", "grpo.num_generations=2",
            "grpo.prompts_per_step=2", "grpo.max_completion_length=8", "grpo.beta=0.0", "curriculum.preset=coarse",
            "curriculum.steps_per_stage=1", "data.max_pixels=12544", "run.progress=false"]
    ds = stand_in_dataset(per_type=2)
    rewards = lambda preset: ([char_reward], None)  # noqa: E731
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = run_grpo(load_config(None, [*over, "run.report_to=[wandb]"]), ds, rewards, stop_after_steps=1)
    assert len(first.steps) == 1
    assert not [w for w in caught if "is_gradient_checkpointing" in str(w.message)]
    # W&B got step 1's metrics on the run's global step, and the run was closed
    logged = [c for c in wandb.calls if c[0] == "log"]
    assert [c[1] for c in logged] == [1] and "reward" in logged[0][2]
    assert wandb.calls[0][0] == "init" and wandb.calls[-1] == ("finish",)
    capsys.readouterr()

    # a changed learning rate: refused naming the field, before the model is loaded
    with pytest.raises(ConfigError, match=r"grpo.learning_rate: 1e-06 \(checkpoint\) vs 0.001 \(now\)"):
        run_grpo(load_config(None, [*over, "grpo.learning_rate=1e-3"]), ds, rewards, resume=True)

    wandb.calls.clear()
    resumed = run_grpo(load_config(None, [*over, "run.report_to=[wandb]"]), ds, rewards, resume=True)
    printed = capsys.readouterr().out
    assert "resumed from step 1 of 2" in printed and "step-000001" in printed
    assert resumed.resumed_from_step == 1 and [s.step for s in resumed.steps] == [1, 2]
    assert json.loads((out / "summary.json").read_text())["resumed_from_step"] == 1
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert events == [{"event": "resumed", "step": 1}]   # the refused attempt never started the run
    # the second stage's step continues the global axis (its trainer counts from 0)
    assert [c[1] for c in wandb.calls if c[0] == "log"] == [2]
