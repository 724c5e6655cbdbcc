"""Question types, exact templates and builders for ReasonMap-Plus and ReasonMap planning (no torch)."""

from rewardmap.tasks.difficulty import (
    CITY_DIFFICULTY,
    CITY_DIFFICULTY_SOURCE,
    PLANNING_QUOTA,
    PLUS_QUOTAS,
    TEST_CITIES,
    computed_map_difficulty,
    map_difficulty,
)
from rewardmap.tasks.planning import (
    MAX_REFERENCE_ROUTES,
    PlanningSample,
    build_planning_samples,
    reference_plan,
    reference_stop,
)
from rewardmap.tasks.plus import (
    PlusSample,
    build_counting1,
    build_counting2,
    build_counting3,
    build_plus_samples,
    build_torf1,
    build_torf2,
)
from rewardmap.tasks.templates import (
    counting1_question,
    counting2_question,
    counting3_question,
    long_template_of,
    planning_question,
    torf1_question,
    torf2_question,
)
from rewardmap.tasks.types import DIFFICULTIES, PLUS_TYPES, TaskType, parse_difficulty

__all__ = [
    "CITY_DIFFICULTY", "CITY_DIFFICULTY_SOURCE", "DIFFICULTIES", "MAX_REFERENCE_ROUTES", "PLANNING_QUOTA",
    "PLUS_QUOTAS", "PLUS_TYPES", "TEST_CITIES", "PlanningSample", "PlusSample", "TaskType", "build_counting1",
    "build_counting2", "build_counting3", "build_planning_samples", "build_plus_samples", "build_torf1",
    "build_torf2", "computed_map_difficulty", "counting1_question", "counting2_question", "counting3_question",
    "long_template_of", "map_difficulty", "parse_difficulty", "planning_question", "reference_plan",
    "reference_stop", "torf1_question", "torf2_question",
]
