"""Difficulty labels and per-map quotas (data-schema §3, paper-spec §1.3, §2.1).

* **Map difficulty** (``difficulty_city``): the papers assign it by hand, balanced 10 maps per level. We ship the
  labels that are known or derivable as a table (:data:`CITY_DIFFICULTY`, each with its provenance) and compute a
  label for any other city from its line and transfer counts (:func:`computed_map_difficulty`). The thresholds were
  chosen to reproduce every *read* or *derived* label of the table (14 cities).
* **Question difficulty** of planning: transfers 0 → easy, 1 → middle, ≥ 2 → hard (RS-paper §3.1.2), quota 20:15:5
  per map. ReasonMap-Plus questions take the map's label (RM-paper §3).
* **Plus quotas**: RM-paper Fig. 1 per type and difficulty, divided by the 10 maps of each level.
"""

from __future__ import annotations

from collections.abc import Mapping

from rewardmap.metro.routes import question_difficulty
from rewardmap.tasks.types import TaskType, parse_difficulty

__all__ = [
    "CITY_DIFFICULTY", "CITY_DIFFICULTY_SOURCE", "PLANNING_QUOTA", "PLUS_QUOTAS", "TEST_CITIES",
    "computed_map_difficulty", "map_difficulty", "question_difficulty",
]

#: Known or inferred map difficulty of the 30 ReasonMap cities, keyed by ``(country, city)``.
#: Provenance in :data:`CITY_DIFFICULTY_SOURCE`: ``read`` (seen in a viewer or the paper), ``derived`` (the test-city
#: assignment that reproduces RS-paper Fig. A1/A2 counts, data-schema §3.1), ``guess`` (the weak guess of §3.1 for
#: train cities, 6 easy / 7 middle / 6 hard).
CITY_DIFFICULTY: dict[tuple[str, str], str] = {
    ("united_arab_emirates", "dubai"): "easy",
    ("china", "dalian"): "middle",
    ("china", "hefei"): "middle",
    ("singapore", "singapore"): "hard",
    # test cities, derived
    ("china", "beijing"): "hard",
    ("china", "hangzhou"): "hard",
    ("america", "los_angeles"): "hard",
    ("portugal", "lisboa"): "middle",
    ("switzerland", "geneva"): "middle",
    ("hungary", "budapest"): "middle",
    ("italy", "rome"): "easy",
    ("new_zealand", "auckland"): "easy",
    ("canada", "toronto"): "easy",
    ("america", "miami"): "easy",
    # train cities, weak guess
    ("australia", "sydney"): "easy",
    ("china", "changzhou"): "easy",
    ("china", "huhehaote"): "easy",
    ("china", "jinan"): "easy",
    ("china", "guiyang"): "easy",
    ("america", "new_york"): "hard",
    ("china", "shanghai"): "hard",
    ("china", "shenzhen"): "hard",
    ("china", "xian"): "hard",
    ("malaysia", "kl"): "hard",
    ("america", "washington"): "hard",
    ("china", "changsha"): "middle",
    ("china", "kunming"): "middle",
    ("china", "nanchang"): "middle",
    ("china", "nanning"): "middle",
    ("norway", "oslo"): "middle",
}

CITY_DIFFICULTY_SOURCE: dict[tuple[str, str], str] = {
    key: ("read" if key[1] in {"dubai", "dalian", "hefei", "singapore"}
          else "derived" if key[1] in {"beijing", "hangzhou", "los_angeles", "lisboa", "geneva", "budapest", "rome",
                                       "auckland", "toronto", "miami"}
          else "guess")
    for key in CITY_DIFFICULTY
}

#: The 11 ReasonMap test cities (cal_metrics.py city list; data-schema §4.3); the rest are train cities.
TEST_CITIES: frozenset[str] = frozenset({
    "los_angeles", "miami", "toronto", "beijing", "hangzhou", "budapest", "rome", "auckland", "lisboa",
    "singapore", "geneva",
})

#: Thresholds of :func:`computed_map_difficulty`.
EASY_MAX_LINES = 3
HARD_MIN_LINES = 7
HARD_MIN_LINES_WITH_TRANSFERS = 6
HARD_MIN_TRANSFER_COUNT = 30


def computed_map_difficulty(city_line_count: int, city_transfer_count: int) -> str:
    """Map difficulty from the city's line count and ``city_transfer_count`` (tagged entries, data-schema §3.3):

    * ``easy`` when the city has at most 3 lines;
    * ``hard`` when it has at least 7 lines, or at least 6 lines and ``city_transfer_count`` ≥ 30;
    * ``middle`` otherwise.

    Reproduces all 14 read/derived labels of :data:`CITY_DIFFICULTY` (e.g. Dalian 6/15 middle, Los Angeles 6/31
    hard, Geneva 5/91 middle, Miami 2/31 easy)."""
    if city_line_count <= EASY_MAX_LINES:
        return "easy"
    if city_line_count >= HARD_MIN_LINES or (city_line_count >= HARD_MIN_LINES_WITH_TRANSFERS
                                             and city_transfer_count >= HARD_MIN_TRANSFER_COUNT):
        return "hard"
    return "middle"


def map_difficulty(country: str, city: str, city_line_count: int, city_transfer_count: int, *,
                   given: str | None = None, table: Mapping[tuple[str, str], str] | None = None) -> str:
    """The ``difficulty_city`` label: ``given`` (e.g. from a synthetic city's geometry sidecar) if set, else the
    table entry (default :data:`CITY_DIFFICULTY`), else :func:`computed_map_difficulty`."""
    if given is not None:
        return parse_difficulty(given)
    table = CITY_DIFFICULTY if table is None else table
    if (country, city) in table:
        return parse_difficulty(table[(country, city)])
    return computed_map_difficulty(city_line_count, city_transfer_count)


#: Planning questions per map and question difficulty (RS-paper §3.1.2: 20:15:5).
PLANNING_QUOTA: dict[str, int] = {"easy": 20, "middle": 15, "hard": 5}

#: ReasonMap-Plus questions per map, by map difficulty and type: RM-paper Fig. 1 counts (e.g. TorF2 278/311/340)
#: divided by the 10 maps of each level and rounded; Counting3 is one per map. Per map ≈ 134 questions.
PLUS_QUOTAS: dict[str, dict[TaskType, int]] = {
    "easy": {TaskType.TORF1: 34, TaskType.TORF2: 28, TaskType.COUNTING1: 35, TaskType.COUNTING2: 28,
             TaskType.COUNTING3: 1},
    "middle": {TaskType.TORF1: 35, TaskType.TORF2: 31, TaskType.COUNTING1: 35, TaskType.COUNTING2: 32,
               TaskType.COUNTING3: 1},
    "hard": {TaskType.TORF1: 35, TaskType.TORF2: 34, TaskType.COUNTING1: 35, TaskType.COUNTING2: 37,
             TaskType.COUNTING3: 1},
}
