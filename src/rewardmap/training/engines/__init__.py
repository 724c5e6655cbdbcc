"""Training engines behind one small protocol.

An :class:`Engine` takes the resolved :class:`~rewardmap.training.config.TrainConfig`, the
:class:`CurriculumPlan` (the TRL-format dataset and each stage's ordered rows), the reward factory
(:data:`rewardmap.training.rewards.RewardFactory`) and a resume flag; it runs the stages and returns a
:class:`~rewardmap.training.runlog.RunResult`. :class:`~rewardmap.training.engines.trl.TRLEngine` is the first
implementation; ``verl`` (:mod:`rewardmap.training.engines.verl`) hands the run to
``rewardmap.integrations.verl.launch`` when that is installed.

``import rewardmap.training.engines`` stays light (no torch).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rewardmap.errors import ConfigError
from rewardmap.training.config import TrainConfig
from rewardmap.training.curriculum import CurriculumSampler, StagePlan, plan_curriculum
from rewardmap.training.rewards import RewardFactory
from rewardmap.training.runlog import RunResult


@dataclass(frozen=True)
class CurriculumPlan:
    """What an engine trains on: the TRL-format dataset (``prompt``, ``image``, the reward columns, ``type``) and
    the curriculum's stages resolved against it (dataset rows in training order, ``prompts_per_step`` a step)."""

    dataset: Any
    stages: tuple[StagePlan, ...]
    prompts_per_step: int

    def sampler(self) -> CurriculumSampler:
        """A fresh sampler at step 0 of this plan."""
        return CurriculumSampler(list(self.stages), self.prompts_per_step)

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.stages)


def plan_run(config: TrainConfig, dataset) -> CurriculumPlan:
    """Resolve ``config.curriculum`` against ``dataset``'s ``type`` column."""
    if "type" not in dataset.column_names:
        raise ConfigError("training dataset has no 'type' column; the curriculum needs it")
    plans = plan_curriculum(dataset["type"], config.curriculum.resolved_stages(),
                            prompts_per_step=config.grpo.prompts_per_step, seed=config.curriculum.seed)
    plan = CurriculumPlan(dataset=dataset, stages=tuple(plans), prompts_per_step=config.grpo.prompts_per_step)
    if plan.total_steps == 0:
        raise ConfigError("the curriculum has no steps: the dataset is smaller than one step "
                          f"({config.grpo.prompts_per_step} prompts) for every stage")
    return plan


class Engine(Protocol):
    """Runs the stages of a plan. ``resume``: False = fresh run, True = newest checkpoint of
    ``config.run.output_dir``, or a checkpoint path."""

    name: str

    def run(self, config: TrainConfig, plan: CurriculumPlan, rewards: RewardFactory, *,
            resume: bool | str | Path = False) -> RunResult: ...


ENGINES = ("trl", "verl")


def get_engine(name: str = "trl", **options) -> Engine:
    """The engine called ``name`` (``trl`` | ``verl``); ``options`` go to its constructor."""
    if name == "trl":
        from rewardmap.training.engines.trl import TRLEngine

        return TRLEngine(**options)
    if name == "verl":
        from rewardmap.training.engines.verl import VerlEngine

        return VerlEngine(**options)
    raise ConfigError(f"--engine: expected one of {', '.join(ENGINES)}, found {name!r}")
