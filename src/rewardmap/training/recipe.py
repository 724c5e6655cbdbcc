"""``rewardmap train``: data → (SFT →) multi-stage GRPO → report, wired from one :class:`TrainConfig`."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from rewardmap.training.config import TrainConfig
from rewardmap.training.grpo import RunResult, resolve_policy_path, run_grpo
from rewardmap.training.inputs import prepare_training_data
from rewardmap.training.rewards import AccuracyObserver, integration_available, observer_config, reward_factory


def train(config: TrainConfig, *, resume: bool | str | Path = False, stop_after_steps: int | None = None,
          progress: bool | None = None) -> RunResult:
    """Run a full recipe. With ``sft.enabled`` the SFT stage runs first (once; a resumed run reuses its output)
    and RL starts from the merged SFT model (the SFT → RL baseline)."""
    data = prepare_training_data(config.data, config.run.output_dir,
                                 progress=config.run.progress if progress is None else progress)
    if config.sft.enabled:
        from rewardmap.training.sft import run_sft

        sft_dir = Path(config.run.output_dir) / "sft" / "final"
        if not (sft_dir / "config.json").is_file():
            run_sft(config, data.train, resolve_policy_path(config), out_dir=sft_dir)
        config = replace(config, model=replace(config.model, path=str(sft_dir), lora=None))
    settings = config.reward

    def observers(policy):
        # the TRL adapters of rewardmap.integrations log components and per-type accuracy themselves
        if integration_available():
            return []
        return [AccuracyObserver(policy.processor, observer_config(settings), data.root)]

    result = run_grpo(config, data.train, reward_factory(settings, data.root), resume=resume,
                      stop_after_steps=stop_after_steps, observers=observers)
    if result.steps and int(os.environ.get("RANK", "0")) == 0:
        from rewardmap.training.report import write_report

        write_report(result, result.output_dir, title=f"RewardMap training: {result.output_dir.name}",
                     notes=[f"curriculum {config.curriculum.preset}, reward {config.reward.preset} "
                            f"(weighting {config.reward.weighting}), policy {config.model.path}"])
    return result
