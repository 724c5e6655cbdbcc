"""The RewardMap training reward for one response against one dataset row (RM-paper §4.2; paper-spec §3).

``total = W · (format + correctness + α · detail)`` (``weighting="reward"``) or the bracket alone
(``weighting="none"``), with every component reported in a :class:`RewardBreakdown`.

Range, for a row of weight W (official preset: no format term, correctness 10, α = 0.5):

* Plus types: ``total ∈ {0, W·correctness}`` (plus ``W·format``; plus ``±W·α·0.5·k`` for k listed stops when the
  Counting1 stops detail is on).
* planning: ``detail ≤ 10`` and ``detail ≥ 2 − 5·k`` for an answer of k sections (no floor, as released and as in
  the paper; set ``detail_floor`` to bound it), so ``total ≤ W·(format + correctness + 10·α)``.

Bad model output never raises; a malformed row (unknown ``type``, bad difficulty, missing station file, missing
``station_1``/``station_2``/``answer``) raises :class:`~rewardmap.errors.DataError` naming the column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rewardmap.errors import DataError, RewardMapError
from rewardmap.scoring import released
from rewardmap.scoring.config import RewardConfig, resolve_config
from rewardmap.scoring.correctness import extract_plus, planning_correct, plus_correct
from rewardmap.scoring.detail import counting1_detail, planning_detail_official, planning_detail_paper
from rewardmap.scoring.parsing import (
    MISSING,
    as_text,
    extract_stops,
    last_boxed,
    parse_route_official,
    parse_route_tolerant,
    strip_reasoning,
)
from rewardmap.scoring.stations import DEFAULT_CACHE, NetworkCache
from rewardmap.scoring.weights import difficulty_weight, field, transfer_count
from rewardmap.tasks.types import TaskType

_TYPES = {m.value: m for m in TaskType}


@dataclass(frozen=True)
class RewardBreakdown:
    """One response's reward, by component.

    ``detail`` is the raw detail score (before α); ``weight`` is W whatever the weighting; ``total`` is what the
    trainer receives. ``parsed`` is the extracted answer string (Plus types) or the tuple of
    :class:`~rewardmap.scoring.parsing.ParsedSection` (planning)."""

    format: float
    correctness: float
    detail: float
    weight: float
    total: float
    correct: bool
    task_type: str
    alpha: float = 0.5
    format_ok: bool = False
    parsed: Any = None

    @property
    def unweighted(self) -> float:
        """``format + correctness + α·detail`` (the bracket of the paper's formula)."""
        return self.format + self.correctness + self.alpha * self.detail

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping of the numeric components (``parsed`` rendered as text)."""
        out = asdict(self)
        parsed = self.parsed
        if isinstance(parsed, tuple):
            out["parsed"] = [asdict(s) for s in parsed]
        return out


def task_type_of(row: Any) -> TaskType:
    """The row's ``type`` (exact spelling or any case); DataError naming the column otherwise."""
    value = field(row, "type")
    found = _TYPES.get(value) if isinstance(value, str) else None
    if found is not None:
        return found
    try:
        return TaskType.parse(value)
    except RewardMapError as exc:
        raise DataError(str(exc), column="type") from None


def _gold(row: Any) -> int:
    value = field(row, "answer")
    if isinstance(value, bool):
        return int(value)
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
            return int(value.strip().lower() == "yes")
        if isinstance(value, str) and value.strip().upper() in ("A", "B", "C", "D"):
            return "ABCD".index(value.strip().upper())
        raise DataError(f"expected an integer answer, found {value!r}", column="answer") from None


def _station(row: Any, name: str) -> str:
    value = field(row, name)
    if not isinstance(value, str) or not value:
        raise DataError(f"expected a station name, found {value!r}", column=name)
    return value


def _same_labels(text: str) -> bool:
    """True when the case-insensitive label check would find exactly the case-sensitive labels."""
    low = text.lower()
    return (low.count("route name:") == text.count("Route Name:")
            and low.count("departure stop:") == text.count("Departure Stop:")
            and low.count("arrival stop:") == text.count("Arrival Stop:"))


def score_response(response: str, row: Any, config: RewardConfig | str = "official", *,
                   stations_root: str | Path | None = None, cache: NetworkCache | None = None) -> RewardBreakdown:
    """Score one response against one ReasonMap-Train row.

    Args:
        response: the model's text (any string; non-strings are converted with ``str``).
        row: mapping (or object) with the ReasonMap-Train columns ``type``, ``answer``, ``difficulty_city`` and, for
            planning, ``station_1``, ``station_2``, ``question_transfer_count``, ``json`` (path / JSON text / dict),
            ``country``, ``city``.
        config: a :class:`RewardConfig` or a preset name (``official``, ``paper``, ``baseline``).
        stations_root: where relative ``json`` paths are resolved (also ``$REWARDMAP_STATIONS_ROOT``).
        cache: the network cache (default: the process-wide one).

    Example:
        >>> row = {"type": "TorF1", "answer": 1, "difficulty_city": "middle"}
        >>> score_response("The stations share Line 2. \\\\boxed{yes}", row).total
        12.0
    """
    cfg = resolve_config(config)
    task = task_type_of(row)
    weight = difficulty_weight(row, cfg, task=task)
    text = as_text(response)
    if cfg.strip_reasoning:
        text = strip_reasoning(text)
    detail = 0.0
    if task is not TaskType.PLANNING:
        gold = _gold(row)
        parsed: Any = extract_plus(text, cfg.parse)
        correct = plus_correct(parsed, task, gold, cfg.parse)
        format_ok = "oxed{" in text if cfg.parse == "official" else last_boxed(text) is not None
        if task is TaskType.COUNTING1 and cfg.counting1_stops_detail and cfg.alpha:
            listed = extract_stops(text)
            if listed:
                network = (cache if cache is not None else DEFAULT_CACHE).network_for_row(row, stations_root)
                detail = counting1_detail(network, listed, _station(row, "station_1"), _station(row, "station_2"),
                                          cfg.cleaner)
    else:
        s1, s2 = _station(row, "station_1"), _station(row, "station_2")
        transfers = transfer_count(row)
        network = (cache if cache is not None else DEFAULT_CACHE).network_for_row(row, stations_root)
        if cfg.parse == "official" and cfg.cleaner == "reward" and cfg.line_names == "official":
            # the released reward, step for step (rewardmap.scoring.released)
            lists, lookups = released.station_lists(network, "reward")
            correct, official_detail, found = released.reward_planning(text, lists, s1, s2, transfers, lookups)
            sections = parsed = released.as_parsed(found)
            if cfg.detail == "official" and cfg.alpha:
                detail = official_detail
            elif cfg.detail == "paper" and cfg.alpha:
                detail = planning_detail_paper(network, sections, s1, s2, transfers, cleaner=cfg.cleaner,
                                               line_names=cfg.line_names)
        else:
            if cfg.parse == "tolerant":
                sections = parse_route_tolerant(text)
                detail_sections = sections
            else:
                sections = parse_route_official(text, "short")
                detail_sections = sections if cfg.detail != "official" or _same_labels(text) else \
                    parse_route_official(text, "short", labels_case_sensitive=False)
            parsed = sections
            correct = planning_correct(network, sections, s1, s2, cleaner=cfg.cleaner, line_names=cfg.line_names)
            if cfg.detail == "official" and cfg.alpha:
                detail = planning_detail_official(network, detail_sections, s1, s2, transfers, cleaner=cfg.cleaner,
                                                  line_names=cfg.line_names)
            elif cfg.detail == "paper" and cfg.alpha:
                detail = planning_detail_paper(network, detail_sections, s1, s2, transfers, cleaner=cfg.cleaner,
                                               line_names=cfg.line_names)
        format_ok = bool(sections) and all(MISSING not in (s.route_name, s.departure, s.arrival) for s in sections)
        if cfg.detail_floor is not None and detail < cfg.detail_floor:
            detail = float(cfg.detail_floor)
    fmt = cfg.format_magnitude if (cfg.format_reward and format_ok) else 0.0
    corr = cfg.correctness if correct else 0.0
    unweighted = fmt + corr + cfg.alpha * detail
    total = weight * unweighted if cfg.weighting == "reward" else unweighted
    return RewardBreakdown(format=fmt, correctness=corr, detail=detail, weight=weight, total=total, correct=correct,
                           task_type=task.value, alpha=cfg.alpha, format_ok=format_ok, parsed=parsed)
