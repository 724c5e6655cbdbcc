"""Task types and difficulty labels exactly as the public datasets spell them (data-schema §1, §3, §5.8)."""

from __future__ import annotations

from enum import StrEnum

from rewardmap.errors import RewardMapError


class TaskType(StrEnum):
    """The ``type`` column of ReasonMap-Plus / ReasonMap-Train (exact case)."""

    TORF1 = "TorF1"          # are stop 1 and stop 2 on the same line?
    TORF2 = "TorF2"          # is stop 1 on line x?
    COUNTING1 = "Counting1"  # intermediate stops between two stops of one line (A–D options)
    COUNTING2 = "Counting2"  # lines through a stop
    COUNTING3 = "Counting3"  # lines in the city
    PLANNING = "planning"    # ReasonMap route planning

    @classmethod
    def parse(cls, value: object) -> TaskType:
        """Accept the exact spelling, or any case of it (the official curriculum lower-cases types)."""
        if isinstance(value, TaskType):
            return value
        if isinstance(value, str):
            for member in cls:
                if value == member.value or value.lower() == member.value.lower():
                    return member
        raise RewardMapError(f"unknown task type {value!r}; expected one of {', '.join(m.value for m in cls)}")

    @property
    def is_plus(self) -> bool:
        return self is not TaskType.PLANNING

    @property
    def is_torf(self) -> bool:
        return self in (TaskType.TORF1, TaskType.TORF2)

    @property
    def is_counting(self) -> bool:
        return self in (TaskType.COUNTING1, TaskType.COUNTING2, TaskType.COUNTING3)


PLUS_TYPES = (TaskType.TORF1, TaskType.TORF2, TaskType.COUNTING1, TaskType.COUNTING2, TaskType.COUNTING3)

#: Difficulty strings of the datasets (the papers say "medium"; the data says "middle").
DIFFICULTIES = ("easy", "middle", "hard")


def parse_difficulty(value: object) -> str:
    """Normalise a difficulty label to ``easy`` / ``middle`` / ``hard`` ("medium" accepted)."""
    if isinstance(value, str):
        v = value.strip().lower()
        if v == "medium":
            v = "middle"
        if v in DIFFICULTIES:
            return v
    raise RewardMapError(f"unknown difficulty {value!r}; expected easy, middle or hard")
