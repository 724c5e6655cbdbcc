"""Rewards for the GRPO runner, from :mod:`rewardmap.scoring` (no reward logic lives here).

* :func:`reward_factory` turns the ``reward`` block of a config into, per stage preset, the TRL reward functions
  (``rewardmap.integrations.trl.make_reward_funcs`` when present; otherwise a thin adapter over
  :func:`rewardmap.scoring.score_response`) and, for ``weighting: advantage``, the per-question weight the trainer
  multiplies advantages by.
* :class:`AccuracyObserver` scores each step's completions with the same scorer and reports accuracy per task
  type and the mean of each reward component (format, correctness, detail, weight), whatever reward functions
  are in use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rewardmap.training.config import RewardSettings


def reward_config(settings: RewardSettings, preset: str | None = None, *, weighted: bool | None = None):
    """The :class:`~rewardmap.scoring.RewardConfig` of a stage: ``preset`` (or the run's), the run's overrides,
    and ``weighting`` = reward only when the difficulty weight goes into the reward."""
    from rewardmap.scoring import RewardConfig

    overrides = dict(settings.overrides)
    for key in ("gamma", "beta"):
        if key in overrides and isinstance(overrides[key], list):
            overrides[key] = tuple(overrides[key])
    if weighted is None:
        weighted = settings.weighting == "reward"
    overrides["weighting"] = "reward" if weighted else "none"
    return RewardConfig.preset(preset or settings.preset, **overrides)


def _completion_text(completion) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        msg = completion[-1]
        content = msg.get("content", "") if isinstance(msg, dict) else msg
        if isinstance(content, list):
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return str(content)
    return str(completion)


def scoring_reward_func(config, stations_root: str | Path | None = None) -> Callable:
    """A TRL reward function over :func:`rewardmap.scoring.score_response` (used when the integrations module is
    not installed). Reads the dataset columns of each completion's row."""
    from rewardmap.scoring import score_response

    root = None if stations_root is None else str(stations_root)

    def rewardmap_reward(completions, **kwargs) -> list[float]:
        n = len(completions)
        out = []
        for i in range(n):
            row = {k: v[i] for k, v in kwargs.items() if isinstance(v, list) and len(v) == n}
            out.append(score_response(_completion_text(completions[i]), row, config, stations_root=root).total)
        return out

    rewardmap_reward.__name__ = f"rewardmap_{config.name}"
    return rewardmap_reward


def integration_available() -> bool:
    """Whether ``rewardmap.integrations.trl`` (which logs components and per-type accuracy itself) is importable."""
    try:
        import rewardmap.integrations.trl  # noqa: F401
    except ImportError:
        return False
    return True


def make_stage_reward_funcs(config, stations_root: str | Path | None = None) -> list[Callable]:
    """TRL reward functions for ``config``: the integrations adapter if available, else :func:`scoring_reward_func`."""
    try:
        from rewardmap.integrations.trl import make_reward_funcs
    except ImportError:
        return [scoring_reward_func(config, stations_root)]
    return list(make_reward_funcs(config, stations_root=None if stations_root is None else str(stations_root)))


def reward_factory(settings: RewardSettings, stations_root: str | Path | None = None):
    """``factory(stage_preset) -> (reward_funcs, advantage_weight)`` for :func:`rewardmap.training.grpo.run_grpo`."""
    from rewardmap.scoring import difficulty_weight

    def factory(preset: str | None):
        cfg = reward_config(settings, preset)
        funcs = make_stage_reward_funcs(cfg, stations_root)
        adv = None
        if settings.weighting == "advantage":
            weighted = reward_config(settings, preset, weighted=True)

            def adv(row, _cfg=weighted):
                return difficulty_weight(row, _cfg)
        return funcs, adv

    return factory


class AccuracyObserver:
    """Batch observer for :class:`~rewardmap.training.grpo.RewardMapGRPOTrainer`: decodes the step's completions,
    scores them with ``config`` and returns ``accuracy/<type>``, ``accuracy/all`` and ``reward_components/<name>``
    means for the trainer to log."""

    def __init__(self, processor, config, stations_root: str | Path | None = None):
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.config = config
        self.root = None if stations_root is None else str(stations_root)

    def __call__(self, rows: list[dict], output: dict) -> dict[str, float]:
        from rewardmap.scoring import score_response

        ids = output["completion_ids"]
        mask = output.get("completion_mask")
        texts = []
        for i in range(ids.shape[0]):
            seq = ids[i] if mask is None else ids[i][mask[i].bool()]
            texts.append(self.tokenizer.decode(seq.tolist(), skip_special_tokens=True))
        correct: dict[str, list[float]] = defaultdict(list)
        parts: dict[str, list[float]] = defaultdict(list)
        for text, row in zip(texts, rows):
            b = score_response(text, row, self.config, stations_root=self.root)
            correct[b.task_type].append(float(b.correct))
            correct["all"].append(float(b.correct))
            for name in ("format", "correctness", "detail", "weight"):
                parts[name].append(float(getattr(b, name)))
        metrics = {f"accuracy/{t}": sum(v) / len(v) for t, v in correct.items()}
        metrics.update({f"reward_components/{k}": sum(v) / len(v) for k, v in parts.items()})
        return metrics


def observer_config(settings: RewardSettings):
    """The scoring config the accuracy observer uses (the run's preset, weighted, so ``weight`` is W)."""
    return replace(reward_config(settings, None, weighted=True))
