"""Difficulty weights: the training reward's W (γ/β), ReasonMap's 3×3 evaluation matrix, ReasonMap-Plus's map weights.

Three different weightings exist (data-schema §3.4, paper-spec §1.7, §2.4, §3.2) and are kept apart on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rewardmap.errors import DataError
from rewardmap.scoring.config import RewardConfig, resolve_config
from rewardmap.tasks.types import TaskType

_LEVEL = {"easy": 0, "middle": 1, "medium": 1, "hard": 2}


def field(row: Any, name: str, default: Any = ...) -> Any:
    """A column of a row given as a mapping or as an object with attributes."""
    if type(row) is dict or isinstance(row, Mapping):
        if name in row:
            return row[name]
    elif hasattr(row, name):
        return getattr(row, name)
    if default is ...:
        raise DataError(f"missing column {name!r}", column=name)
    return default


def difficulty_level(value: object, column: str = "difficulty_city") -> int:
    """0 / 1 / 2 for ``easy`` / ``middle`` (or ``medium``) / ``hard``; DataError naming the column otherwise."""
    if isinstance(value, str):
        level = _LEVEL.get(value) if value in _LEVEL else _LEVEL.get(value.strip().lower())
        if level is not None:
            return level
    raise DataError(f"unknown difficulty {value!r}; expected easy, middle or hard", column=column)


def transfer_count(row: Any) -> int:
    """``question_transfer_count`` as an int (DataError naming the column when absent or not an integer)."""
    value = field(row, "question_transfer_count")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DataError(f"expected an integer, found {value!r}", column="question_transfer_count") from None


def difficulty_weight(row_or_fields: Any, config: RewardConfig | str = "official", *,
                      task: TaskType | None = None) -> float:
    """The training reward's weight ``W = γ[difficulty_city] (+ β for planning)`` (RM-paper §4.2, code
    ``get_difficulty_weight``).

    ``row_or_fields``: a row (mapping or object) with ``type``, ``difficulty_city`` and, for planning,
    ``question_transfer_count``. Plus types get ``γ`` only; planning gets ``γ + β[0]`` with no transfer and
    ``γ + β[1]`` with ≥ 1 transfer; a negative transfer count on a planning row is an error (as released)."""
    cfg = resolve_config(config)
    if task is None:
        task = TaskType.parse(field(row_or_fields, "type"))
    w = cfg.gamma[difficulty_level(field(row_or_fields, "difficulty_city"))]
    if task is TaskType.PLANNING:
        q = transfer_count(row_or_fields)
        if q < 0:
            raise DataError(f"a planning row needs a transfer count ≥ 0, found {q}", column="question_transfer_count")
        w += cfg.beta[1] if q > 0 else cfg.beta[0]
    return w


def reasonmap_weight(question_difficulty: str, map_difficulty: str) -> float:
    """ReasonMap evaluation weight (RS-paper B.3): ``1.0 + 0.5·q + 0.5·m`` with levels easy 0, middle 1, hard 2,
    i.e. the 3×3 matrix 1.0 … 3.0."""
    return 1.0 + 0.5 * difficulty_level(question_difficulty, "difficulty_question") + 0.5 * difficulty_level(
        map_difficulty, "difficulty_city")


_PLUS_WEIGHTS = (1.0, 1.5, 2.0)


def plus_weight(map_difficulty: str) -> float:
    """ReasonMap-Plus evaluation weight by map difficulty: easy 1.0, middle 1.5, hard 2.0 (RM-paper C.1)."""
    return _PLUS_WEIGHTS[difficulty_level(map_difficulty, "difficulty_city")]
