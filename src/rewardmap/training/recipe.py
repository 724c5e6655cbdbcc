"""``rewardmap train``: data → (SFT →) multi-stage GRPO → report, wired from one :class:`TrainConfig`."""

from __future__ import annotations

from pathlib import Path

from rewardmap.training.config import TrainConfig
from rewardmap.training.distributed import is_main, main_first
from rewardmap.training.runlog import RunResult


def train(config: TrainConfig, *, resume: bool | str | Path = False, stop_after_steps: int | None = None,
          progress: bool | None = None, engine: str = "trl") -> RunResult:
    """Run a full recipe on ``engine`` (``trl``; ``verl`` prepares a verl run instead and returns what its
    integration returns).

    0. before any work: with ``resume``, the checkpoint must exist and its config match this one (field by field);
       ``run.report_to``'s packages must be installed and ``grpo.extra`` / ``sft.extra`` name real TRL fields;
    1. the training rows (a dataset directory, or synthetic cities built and cached);
    2. with ``sft.enabled``, the SFT stage (once; a resumed run reuses its finished output) — RL then starts from
       the merged SFT model (the SFT → RL baseline);
    3. the curriculum plan, the reward functions, the engine's run;
    4. the report (main process).
    """
    from rewardmap.training.engines import get_engine, plan_run

    if engine != "trl":
        return get_engine(engine).run(config, resume=resume)
    from rewardmap.training import checkpoint as ckpt
    from rewardmap.training.engines.trl_args import check_trl_fields
    from rewardmap.training.inputs import prepare_training_data
    from rewardmap.training.rewards import reward_factory
    from rewardmap.training.runlog import check_report_to
    from rewardmap.training.sft import rl_config_after_sft, sft_then_rl_config

    check_report_to(config.run.report_to)
    check_trl_fields(config)
    if resume:
        resume = ckpt.resume_checkpoint(config.run.output_dir, resume)
        ckpt.check_resume_config(resume, rl_config_after_sft(config).to_mapping())

    with main_first():  # one process builds the (synthetic) data, the others read its cache
        data = prepare_training_data(config.data, config.run.output_dir,
                                     progress=(config.run.progress if progress is None else progress) and is_main())
    config, _ = sft_then_rl_config(config, data.train)
    plan = plan_run(config, data.train)
    result = get_engine("trl", stop_after_steps=stop_after_steps).run(
        config, plan, reward_factory(config.reward, data.root), resume=resume)
    if result.steps and is_main():
        from rewardmap.training.report import write_report

        write_report(result, result.output_dir, title=f"RewardMap training: {result.output_dir.name}",
                     notes=[f"curriculum {config.curriculum.preset}, reward {config.reward.preset} "
                            f"(weighting {config.reward.weighting}), policy {config.model.path}"])
    return result
