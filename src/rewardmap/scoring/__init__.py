"""Scoring: answer parsing, correctness, detail reward, difficulty weights, the RewardMap reward with a per-component
breakdown, GRPO advantage forms, and the ReasonMap / ReasonMap-Plus metrics. Pure Python, no torch.

The training reward and the evaluation metric share one parser and one route checker, so they cannot drift apart.
See ``docs/scoring.md``.
"""

from rewardmap.scoring.advantages import group_advantages
from rewardmap.scoring.config import PRESETS, RewardConfig, resolve_config
from rewardmap.scoring.correctness import extract_plus, planning_correct, plus_correct, plus_value
from rewardmap.scoring.detail import (
    counting1_detail,
    counting1_gold_stops,
    planning_detail_official,
    planning_detail_paper,
)
from rewardmap.scoring.metrics import (
    PlusScore,
    ReasonMapScore,
    aggregate_plus,
    aggregate_reasonmap,
    normalize_reference_route,
    score_plus,
    score_reasonmap,
)
from rewardmap.scoring.parsing import (
    MISSING,
    ParsedSection,
    extract_plus_official,
    extract_plus_tolerant,
    extract_stops,
    find_math_answer,
    parse_route,
    parse_route_official,
    parse_route_tolerant,
    strip_reasoning,
)
from rewardmap.scoring.reward import RewardBreakdown, score_response
from rewardmap.scoring.stations import DEFAULT_CACHE, NetworkCache
from rewardmap.scoring.weights import difficulty_weight, plus_weight, reasonmap_weight

__all__ = [
    "DEFAULT_CACHE", "MISSING", "PRESETS", "NetworkCache", "ParsedSection", "PlusScore", "ReasonMapScore",
    "RewardBreakdown", "RewardConfig", "aggregate_plus", "aggregate_reasonmap", "counting1_detail",
    "counting1_gold_stops", "difficulty_weight", "extract_plus", "extract_plus_official", "extract_plus_tolerant",
    "extract_stops", "find_math_answer", "group_advantages", "normalize_reference_route", "parse_route",
    "parse_route_official", "parse_route_tolerant", "planning_correct", "planning_detail_official",
    "planning_detail_paper", "plus_correct", "plus_value", "plus_weight", "reasonmap_weight", "resolve_config",
    "score_plus", "score_reasonmap", "score_response", "strip_reasoning",
]
