"""Question types, exact templates and builders for ReasonMap-Plus and ReasonMap planning (no torch)."""

from rewardmap.tasks.types import DIFFICULTIES, PLUS_TYPES, TaskType, parse_difficulty

__all__ = ["DIFFICULTIES", "PLUS_TYPES", "TaskType", "parse_difficulty"]

