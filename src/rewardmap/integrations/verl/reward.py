"""verl reward function file: ``reward.custom_reward_function.path=<this file>``, ``name=compute_score``.

verl (0.9.1: ``verl/trainer/ppo/reward.py:get_custom_reward_fn``) loads this file by path and its ``naive`` reward
manager calls ``compute_score(data_source=…, solution_str=…, ground_truth=…, extra_info=…, **reward_kwargs)`` once
per rollout. A returned dict must hold ``"score"``; every key is logged (``reward_extra_info``) and
``algorithm.filter_groups.metric`` may name any of them — ``correct`` gives DAPO-style dynamic sampling on accuracy.

``extra_info`` carries the row's columns as ``rewardmap data export verl`` writes them (``type``,
``difficulty_city``, ``station_1``, ``station_2``, ``question_transfer_count``, ``json`` …); the row's ``answer``
is ``ground_truth`` when ``extra_info`` has none. verl adds ``num_turns`` and ``rollout_reward_scores``, which the
reward ignores. The file path is printed by ``python -m rewardmap.integrations.verl.reward``.

This module imports neither torch nor verl (it runs inside verl's reward workers: keep it light).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from rewardmap.scoring import RewardConfig, score_response
from rewardmap.scoring.config import resolve_config

#: The keys of the returned dict, in order (``score`` is the total verl trains on).
RESULT_KEYS = ("score", "correct", "format", "correctness", "detail", "weight", "unweighted")


def _plain(value: Any) -> Any:
    """OmegaConf ``DictConfig`` / ``ListConfig`` (Hydra ``reward_kwargs``) → plain dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


@lru_cache(maxsize=64)
def _config_from_json(text: str) -> RewardConfig:
    return RewardConfig.from_dict(json.loads(text))


def _config(preset: RewardConfig | str | Mapping) -> RewardConfig:
    if isinstance(preset, Mapping):  # parsed once per distinct mapping, not once per rollout
        return _config_from_json(json.dumps(_plain(preset), sort_keys=True))
    return resolve_config(preset)


def compute_score(data_source: str | None, solution_str: str, ground_truth: Any, extra_info: Mapping | None = None,
                  preset: RewardConfig | str | Mapping = "official", stage_presets: Mapping | None = None,
                  **kwargs: Any) -> dict[str, float]:
    """Score one rollout; returns ``{"score", "correct", "format", "correctness", "detail", "weight",
    "unweighted"}`` (floats; ``correct`` is 1.0 or 0.0; ``score`` is the reward total).

    ``preset``: a preset name, a :class:`RewardConfig`, or a mapping for :meth:`RewardConfig.from_dict` (so it can
    be given in verl's ``reward_kwargs``, e.g. ``+reward.custom_reward_function.reward_kwargs.preset=paper``).
    ``stage_presets``: ``{stage name: preset}`` for curriculum stages with a reward of their own; the stage is
    ``extra_info["stage"]`` (written by the export and by ``CurriculumRLHFDataset``).
    ``stations_root`` may come as a keyword or in ``extra_info``. Any response string gives a finite score."""
    row: dict[str, Any] = {}
    if isinstance(ground_truth, Mapping):
        row.update(ground_truth)
    if extra_info:
        row.update(extra_info)
    if "answer" not in row and not isinstance(ground_truth, Mapping):
        row["answer"] = ground_truth
    if stage_presets and row.get("stage") in stage_presets:
        preset = stage_presets[row["stage"]]
    root = kwargs.get("stations_root") or row.get("stations_root")
    b = score_response(solution_str, row, _config(preset), stations_root=root)
    return {"score": b.total, "correct": float(b.correct), "format": b.format, "correctness": b.correctness,
            "detail": b.detail, "weight": b.weight, "unweighted": b.unweighted}


#: This file, for ``reward.custom_reward_function.path``.
REWARD_FILE = Path(__file__).resolve()

if __name__ == "__main__":
    print(REWARD_FILE)
