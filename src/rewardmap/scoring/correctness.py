"""Correctness (level-1 accuracy) for every task type (paper-spec §1.5, §2.3).

* TorF1/TorF2: the extracted answer equals "yes" (gold 1) or "no" (gold 0).
* Counting2/Counting3: ``int(answer) == gold`` (anything that is not an integer is wrong).
* Counting1: the answer is one letter a–d and its index (a = 0) equals gold.
* planning: ReasonMap's accuracy algorithm over the parsed sections (:func:`rewardmap.metro.check_route`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rewardmap.metro import Network, RouteSection, check_route
from rewardmap.scoring.parsing import (
    MISSING,
    ParsedSection,
    extract_plus_official,
    extract_plus_tolerant,
    tolerant_choice,
    tolerant_int,
    tolerant_yes_no,
)
from rewardmap.tasks.types import TaskType

_LETTERS = {"a": 0, "b": 1, "c": 2, "d": 3}


def extract_plus(response: str, mode: str = "official") -> str:
    """The answer string of a ReasonMap-Plus response in the given parse mode."""
    return extract_plus_tolerant(response) if mode == "tolerant" else extract_plus_official(response)


def plus_value(answer: str, task: TaskType, mode: str = "official") -> int | None:
    """The answer as the dataset encodes it (TorF 1/0, Counting1 0–3, counts), or None when unreadable."""
    if task.is_torf:
        if mode == "tolerant":
            yn = tolerant_yes_no(answer)
        else:
            low = answer.lower()
            yn = low if low in ("yes", "no") else None
        return None if yn is None else int(yn == "yes")
    if task is TaskType.COUNTING1:
        if mode == "tolerant":
            return tolerant_choice(answer)
        return _LETTERS.get(answer.lower())
    if mode == "tolerant":
        return tolerant_int(answer)
    try:
        return int(answer)
    except (ValueError, OverflowError):
        return None


def plus_correct(answer: str, task: TaskType, gold: int, mode: str = "official") -> bool:
    """Whether an extracted Plus answer is correct (module doc)."""
    value = plus_value(answer, task, mode)
    if task.is_torf:  # as released: gold 1 means "yes", any other gold "no"
        gold = 1 if gold == 1 else 0
    return value is not None and value == gold


def planning_correct(network: Network, sections: Sequence[ParsedSection], origin: str, destination: str, *,
                     cleaner: str = "reward", line_names: str = "official") -> bool:
    """ReasonMap accuracy of parsed route sections; a field the parser could not read makes the answer wrong."""
    if not sections:
        return False
    for sec in sections:
        if MISSING in (sec.route_name, sec.departure, sec.arrival):
            return False
    route = [RouteSection(s.route_name, s.departure, s.arrival) for s in sections]
    return check_route(network, route, origin, destination, cleaner=cleaner, line_names=line_names).valid
