"""verl reward hook: ``reward.custom_reward_function.path=<this file>``, ``name=compute_score``.

verl's naive reward manager calls ``compute_score(data_source=…, solution_str=…, ground_truth=…, extra_info=…,
**reward_kwargs)`` per rollout and accepts a float or a dict with ``"score"`` (other keys are logged; engine-notes).
``extra_info`` carries the row's columns (``type``, ``difficulty_city``, ``station_1``, ``json`` …); the row's
``answer`` is ``ground_truth`` when ``extra_info`` has none. This module imports neither torch nor verl.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rewardmap.scoring import RewardConfig, score_response
from rewardmap.scoring.config import resolve_config


def compute_score(data_source: str | None, solution_str: str, ground_truth: Any, extra_info: Mapping | None = None,
                  preset: RewardConfig | str | Mapping = "official", **kwargs: Any) -> dict[str, float]:
    """Score one rollout; returns ``{"score", "correct", "format", "correctness", "detail", "weight",
    "unweighted"}`` (floats; ``correct`` is 1.0 or 0.0).

    ``preset``: a preset name, a :class:`RewardConfig`, or a mapping for :meth:`RewardConfig.from_dict` (so it can
    be given in verl's ``reward_kwargs``). ``stations_root`` may come as a keyword or in ``extra_info``."""
    row: dict[str, Any] = {}
    if isinstance(ground_truth, Mapping):
        row.update(ground_truth)
    if extra_info:
        row.update(extra_info)
    if "answer" not in row and not isinstance(ground_truth, Mapping):
        row["answer"] = ground_truth
    cfg = RewardConfig.from_dict(preset) if isinstance(preset, Mapping) else resolve_config(preset)
    root = kwargs.get("stations_root") or row.get("stations_root")
    b = score_response(solution_str, row, cfg, stations_root=root)
    return {"score": b.total, "correct": float(b.correct), "format": b.format, "correctness": b.correctness,
            "detail": b.detail, "weight": b.weight, "unweighted": b.unweighted}
