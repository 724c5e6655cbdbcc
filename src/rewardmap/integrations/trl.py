"""TRL reward functions for the RewardMap reward (``GRPOTrainer(reward_funcs=make_reward_funcs(...))``).

TRL calls each reward function as ``f(prompts=..., completions=..., completion_ids=..., **columns)`` where every
dataset column arrives as a list with one value per completion, plus ``trainer_state``, ``log_extra`` and
``log_metric`` (engine-notes Q2). Completions are strings or conversational ``[{"role": "assistant", "content": …}]``.
This module imports neither torch nor TRL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rewardmap.scoring import RewardBreakdown, RewardConfig, score_response
from rewardmap.scoring.config import resolve_config
from rewardmap.scoring.stations import NetworkCache

#: The dataset columns the reward reads (ReasonMap-Train; data-schema §1.3–1.4).
ROW_COLUMNS = ("type", "answer", "station_1", "station_2", "difficulty_city", "question_transfer_count", "json",
               "country", "city")
COMPONENTS = ("format", "correctness", "detail", "weight", "total")


def completion_text(completion: Any) -> str:
    """The text of one completion: a string, a message dict, or a conversation (the last assistant message;
    ``content`` may be a list of ``{"type": "text", "text": …}`` parts)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        content = completion.get("content", "")
        if isinstance(content, str):
            return content
        if isinstance(content, Sequence):
            return "".join(p.get("text") or "" if isinstance(p, Mapping) else str(p) for p in content)
        return "" if content is None else str(content)
    if isinstance(completion, Sequence) and completion:
        msgs = [m for m in completion if isinstance(m, Mapping)]
        for msg in reversed(msgs):
            if msg.get("role", "assistant") == "assistant":
                return completion_text(msg)
        return completion_text(completion[-1])
    return "" if completion is None else str(completion)


def rows_from_columns(n: int, columns: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per-completion rows from TRL's keyword columns (lists of length n; scalars are broadcast)."""
    rows: list[dict[str, Any]] = [{} for _ in range(n)]
    for name in ROW_COLUMNS:
        if name not in columns:
            continue
        values = columns[name]
        if isinstance(values, list | tuple) and len(values) == n:
            for row, v in zip(rows, values):
                row[name] = v
        else:
            for row in rows:
                row[name] = values
    return rows


def _log(log_metric: Callable[[str, float], Any] | None, prefix: str, out: Sequence[RewardBreakdown]) -> None:
    if log_metric is None or not out:
        return
    n = len(out)
    for comp in COMPONENTS:
        log_metric(f"{prefix}/{comp}", sum(getattr(b, comp) for b in out) / n)
    log_metric(f"{prefix}/accuracy", sum(b.correct for b in out) / n)
    by_type: dict[str, list[bool]] = {}
    for b in out:
        by_type.setdefault(b.task_type, []).append(b.correct)
    for task, flags in sorted(by_type.items()):
        log_metric(f"{prefix}/accuracy/{task}", sum(flags) / len(flags))


def make_reward_funcs(config: RewardConfig | str = "official", *, stations_root: str | Path | None = None,
                      split: bool = False, cache: NetworkCache | None = None) -> list[Callable[..., list[float]]]:
    """TRL reward functions computing the RewardMap reward.

    Args:
        config: a :class:`~rewardmap.scoring.RewardConfig` or preset name (``official``, ``paper``, ``baseline``).
        stations_root: where the rows' relative ``json`` paths are resolved.
        split: False → one function ``rewardmap_<preset>`` returning the total. True → three functions
            ``rewardmap_format``, ``rewardmap_correctness``, ``rewardmap_detail`` returning the weighted components,
            whose sum (reward weights 1) is the total; TRL then logs each component. The response is scored once.

    When TRL passes ``log_metric``, the first function logs the mean of each component
    (``rewardmap/format|correctness|detail|weight|total``), the accuracy and the accuracy per task type.

    Example:
        >>> f, = make_reward_funcs("official")
        >>> f(["\\\\boxed{yes}", "\\\\boxed{no}"], type=["TorF1"] * 2, answer=[1, 1], difficulty_city=["hard"] * 2)
        [15.0, 0.0]
    """
    cfg = resolve_config(config)
    memo: dict[str, Any] = {"key": None, "out": None}

    def breakdowns(completions: Sequence[Any], kwargs: Mapping[str, Any]) -> list[RewardBreakdown]:
        key = (id(completions), len(completions))
        if memo["key"] == key and memo["ref"] is completions:
            return memo["out"]
        rows = rows_from_columns(len(completions), kwargs)
        out = [score_response(completion_text(c), row, cfg, stations_root=stations_root, cache=cache)
               for c, row in zip(completions, rows)]
        memo.update(key=key, ref=completions, out=out)
        _log(kwargs.get("log_metric"), "rewardmap", out)
        return out

    scale = cfg.weighting == "reward"
    if not split:
        def total(completions: Sequence[Any], **kwargs: Any) -> list[float]:
            memo["key"] = None
            return [b.total for b in breakdowns(completions, kwargs)]

        total.__name__ = total.__qualname__ = f"rewardmap_{cfg.name}"
        total.__doc__ = f"RewardMap reward ({cfg.name} preset): W·(format + correctness + α·detail)."
        return [total]

    def fmt(completions: Sequence[Any], **kwargs: Any) -> list[float]:
        memo["key"] = None  # the first function of a batch always rescored
        return [(b.weight if scale else 1.0) * b.format for b in breakdowns(completions, kwargs)]

    def correctness(completions: Sequence[Any], **kwargs: Any) -> list[float]:
        return [(b.weight if scale else 1.0) * b.correctness for b in breakdowns(completions, kwargs)]

    def detail(completions: Sequence[Any], **kwargs: Any) -> list[float]:
        return [(b.weight if scale else 1.0) * b.alpha * b.detail for b in breakdowns(completions, kwargs)]

    for func, name in ((fmt, "rewardmap_format"), (correctness, "rewardmap_correctness"), (detail, "rewardmap_detail")):
        func.__name__ = func.__qualname__ = name
    return [fmt, correctness, detail]
