"""Rewards for the GRPO engines, from :mod:`rewardmap.scoring` (no reward logic lives here).

:func:`reward_factory` turns the ``reward`` block of a config into, per stage preset, the TRL reward functions
(:func:`rewardmap.integrations.trl.make_reward_funcs`, which also log every reward component and the accuracy per
task type) and, under ``weighting: advantage``, the per-question weight the trainer multiplies advantages by.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rewardmap.training.config import RewardSettings, Weighting

#: ``factory(stage_preset) -> (reward_funcs, advantage_weight)``: what an engine calls once per reward preset.
RewardFactory = Callable[[str | None], tuple[list[Callable], Callable[[dict], float] | None]]


def reward_config(settings: RewardSettings, preset: str | None = None, *, weighted: bool | None = None):
    """The :class:`~rewardmap.scoring.RewardConfig` of a stage: ``preset`` (or the run's), the run's overrides,
    and the scorer's own weighting = ``reward`` only when the difficulty weight goes into the reward
    (``weighted`` forces it, e.g. to read W itself)."""
    from rewardmap.scoring import RewardConfig

    overrides = dict(settings.overrides)
    for key in ("gamma", "beta"):
        if key in overrides and isinstance(overrides[key], list):
            overrides[key] = tuple(overrides[key])
    if weighted is None:
        weighted = settings.weighting is Weighting.REWARD
    overrides["weighting"] = "reward" if weighted else "none"
    return RewardConfig.preset(preset or settings.preset, **overrides)


def reward_factory(settings: RewardSettings, stations_root: str | Path | None = None) -> RewardFactory:
    """``factory(stage_preset) -> (reward_funcs, advantage_weight)`` for the engines. ``advantage_weight`` is
    ``row -> W`` under :attr:`Weighting.ADVANTAGE` and None otherwise."""
    from rewardmap.integrations.trl import make_reward_funcs
    from rewardmap.scoring import difficulty_weight

    root = None if stations_root is None else str(stations_root)

    def factory(preset: str | None):
        funcs = list(make_reward_funcs(reward_config(settings, preset), stations_root=root))
        adv = None
        if settings.weighting is Weighting.ADVANTAGE:
            weighted = reward_config(settings, preset, weighted=True)

            def adv(row, _cfg=weighted):
                return difficulty_weight(row, _cfg)
        return funcs, adv

    return factory
