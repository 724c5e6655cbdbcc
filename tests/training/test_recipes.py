"""End-to-end recipes on synthetic cities: the CLI with a crash-and-resume, the SFT baseline."""

from __future__ import annotations

import json
import shutil

import pytest

from .standin import stand_in_dataset

pytestmark = pytest.mark.integration


def small(out, tiny_policy_dir, *extra):
    return ["--config", "configs/tiny-cpu.yaml", f"run.output_dir={out}", f"model.tiny_cache={tiny_policy_dir}",
            "data.synthetic.cities=3", "data.max_pixels=12544", "sft.max_steps=2", "curriculum.steps_per_stage=1",
            "grpo.prompts_per_step=2", "grpo.num_generations=2", "grpo.max_completion_length=8",
            "run.progress=false", "run.save_every=1", "run.keep_checkpoints=10", *extra]


def test_train_command_runs_and_resumes_after_a_crash(tmp_path, tiny_policy_dir, monkeypatch, capsys):
    from rewardmap.cli import main

    monkeypatch.chdir(__import__("pathlib").Path(__file__).resolve().parents[2])
    out = tmp_path / "run"
    assert main(["train", *small(out, tiny_policy_dir)]) == 0
    printed = capsys.readouterr().out
    assert "torf" in printed and "planning" in printed and "final model" in printed
    full = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in full] == ["torf", "counting23", "counting1", "planning"]
    assert all("rewardmap/accuracy" in r for r in full)  # per-type accuracy logged by the reward adapters
    assert (out / "sft" / "final" / "model.safetensors").is_file()  # the format warm-up ran first
    assert (out / "final" / "model.safetensors").is_file() and (out / "tensorboard").is_dir()
    assert (out / "report.md").is_file() and (out / "training_curves.png").is_file()
    # simulate a crash after step 2: drop later checkpoints and the final model, then --resume
    for ckpt in (out / "checkpoints").glob("step-*"):
        if int(ckpt.name.split("-")[1]) > 2:
            shutil.rmtree(ckpt)
    shutil.rmtree(out / "final")
    assert main(["train", *small(out, tiny_policy_dir), "--resume"]) == 0
    assert "resumed from step 2 of 4" in capsys.readouterr().out
    resumed = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in resumed] == [1, 2, 3, 4]
    assert [r["rows"] for r in resumed] == [r["rows"] for r in full]  # same samples, same stages
    assert (out / "final" / "model.safetensors").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["resumed_from"].endswith("step-000002")


def test_sft_baseline_runs_a_step_with_lora_and_merges(tmp_path, tiny_policy_dir):
    from safetensors.torch import load_file

    from rewardmap.training.config import load_config
    from rewardmap.training.sft import run_sft, sft_dataset

    cfg = load_config(None, [f"run.output_dir={tmp_path}", "sft.max_steps=1", "sft.batch_size=2",
                             "sft.gradient_accumulation_steps=1", "sft.warmup_ratio=0", "run.progress=false",
                             "data.max_pixels=12544"])
    ds = stand_in_dataset()
    records = sft_dataset(ds, cfg.sft.types)
    assert "planning" not in set(records["type"])
    targets = {(r["type"], r["completion"][0]["content"][0]["text"]) for r in records}
    assert ("TorF1", "yes") in targets and ("Counting1", "B") in targets and ("Counting2", "2") in targets
    result = run_sft(cfg, ds, tiny_policy_dir)
    assert result.steps == 1 and result.losses and result.losses[0] > 0
    before = load_file(str(tiny_policy_dir / "model.safetensors"))
    after = load_file(str(result.model_dir / "model.safetensors"))
    assert set(after) == set(before)  # LoRA merged back into a plain checkpoint
    assert any(not (before[k] == after[k]).all() for k in before if "visual" not in k and "q_proj.weight" in k)


def test_real_reward_functions_receive_every_column_they_read(tmp_path, tiny_policy_dir):
    import math

    from rewardmap.data import REWARD_COLUMNS
    from rewardmap.training.config import load_config
    from rewardmap.training.engines.trl import run_grpo
    from rewardmap.training.inputs import prepare_training_data
    from rewardmap.training.rewards import reward_factory

    cfg = load_config(None, [f"run.output_dir={tmp_path / 'run'}", f"model.tiny_cache={tiny_policy_dir}",
                             "data.synthetic.cities=3", "data.max_pixels=12544", "curriculum.preset=fine",
                             "curriculum.steps_per_stage=1", "grpo.prompts_per_step=2", "grpo.num_generations=2",
                             "grpo.max_completion_length=8", "grpo.beta=0", "run.progress=false", "run.report_to=[]"])
    data = prepare_training_data(cfg.data, tmp_path)
    assert set(REWARD_COLUMNS) <= set(data.train.column_names)
    real = reward_factory(cfg.reward, data.root)
    seen: list[tuple[set, list]] = []

    def factory(preset):
        funcs, adv = real(preset)

        def recorded(completions, **kwargs):
            values = funcs[0](completions, **kwargs)
            seen.append((set(kwargs), values))
            return values

        recorded.__name__ = funcs[0].__name__
        return [recorded], adv

    result = run_grpo(cfg, data.train, factory)
    assert len(result.steps) == 6 and len(seen) == 6  # one call per step, planning included
    for keys, values in seen:
        assert set(REWARD_COLUMNS) <= keys
        assert all(math.isfinite(v) for v in values)
