"""GRPO group advantages and the difficulty-weight trap (issue 3 item 9; paper-spec §3.5).

The difficulty weight W depends only on the prompt, so every rollout of a group shares it. GRPO as released
normalises per group, ``A_i = (r_i − mean) / (std + ε)``; scaling every ``r_i`` by W scales the mean and the std by W
too, so ``A_i`` is unchanged (up to ε): **the paper's reward scaling is cancelled**. It only survives the
paper's written, un-normalised advantage ``r_i − mean``. Scaling the *advantage* by W after normalisation keeps the
weight in the update whatever the normaliser. :func:`group_advantages` offers each form by name; a test shows the
cancellation numerically.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rewardmap.errors import ConfigError

SCALES = ("reward", "advantage", "advantage_batch", "none")


def _expand(weights: Sequence[float], n: int, group_size: int) -> list[float]:
    if len(weights) == n:
        return [float(w) for w in weights]
    if len(weights) * group_size == n:
        return [float(w) for w in weights for _ in range(group_size)]
    raise ConfigError(f"weights: expected {n} values (one per rollout) or {n // group_size} (one per group), "
                      f"found {len(weights)}")


def group_advantages(rewards: Sequence[float], group_size: int, *, weights: Sequence[float] | None = None,
                     scale: str = "reward", normalize_std: bool = True, eps: float = 1e-6) -> list[float]:
    """Per-rollout GRPO advantages for consecutive groups of ``group_size`` rollouts.

    Args:
        rewards: one reward per rollout, groups contiguous (rollouts of prompt 0, then prompt 1, …).
        group_size: rollouts per prompt (G).
        weights: the difficulty weight, one per rollout or one per group (None: all 1).
        scale: where W enters — ``"reward"`` (paper: ``W·r`` before the group statistics; cancelled by std
            normalisation), ``"advantage"`` (ours: ``W·A`` after normalisation; survives it),
            ``"advantage_batch"`` (ours: ``W/mean(W)·A``, the same emphasis with the batch's mean scale kept),
            or ``"none"`` (W ignored).
        normalize_std: divide by the group's standard deviation (released verl code, unbiased ``std``) or not (the
            paper's centred advantage ``r − mean``).
        eps: added to the std, as released (1e-6).

    A group of one rollout gets mean 0 and std 1 (as verl's ``compute_grpo_outcome_advantage``).

    Example:
        >>> [round(a, 3) for a in group_advantages([0, 10, 0, 10], 2, weights=[1.5, 1.5], scale="reward")]
        [-0.707, 0.707, -0.707, 0.707]
    """
    if scale not in SCALES:
        raise ConfigError(f"scale: {scale!r} is not one of {', '.join(SCALES)}")
    if group_size < 1:
        raise ConfigError(f"group_size must be ≥ 1, found {group_size}")
    n = len(rewards)
    if n % group_size:
        raise ConfigError(f"{n} rewards do not split into groups of {group_size}")
    w = _expand(weights, n, group_size) if weights is not None else [1.0] * n
    r = [float(x) for x in rewards]
    if scale == "reward":
        r = [x * wi for x, wi in zip(r, w)]
    out: list[float] = []
    for g in range(0, n, group_size):
        grp = r[g:g + group_size]
        if group_size == 1:
            mean, std = 0.0, 1.0
        else:
            mean = math.fsum(grp) / group_size
            std = math.sqrt(math.fsum((x - mean) ** 2 for x in grp) / (group_size - 1))
        denom = (std + eps) if normalize_std else 1.0
        out.extend((x - mean) / denom for x in grp)
    if scale == "advantage":
        out = [a * wi for a, wi in zip(out, w)]
    elif scale == "advantage_batch":
        mean_w = math.fsum(w) / n if n else 1.0
        out = [a * wi / mean_w for a, wi in zip(out, w)] if mean_w else out
    return out
