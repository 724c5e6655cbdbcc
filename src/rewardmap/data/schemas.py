"""The public dataset schemas (data-schema §1): exact column names in viewer order, value kinds and splits.

Three schemas, named like their Hugging Face datasets:

* ``reasonmap`` — ``FSCCS/ReasonMap`` (planning benchmark; splits ``train`` / ``validation``);
* ``reasonmap-plus`` — ``FSCCS/ReasonMap-Plus`` (dense VQA; splits ``train`` / ``test``);
* ``reasonmap-train`` — ``FSCCS/ReasonMap-Train`` (the RL mix; one split ``train``; ``-1`` placeholders).
"""

from __future__ import annotations

from dataclasses import dataclass

from rewardmap.errors import DataError

REASONMAP_COLUMNS: tuple[str, ...] = (
    "country", "city", "station_1", "station_2", "figure", "question_long", "question_short", "difficulty_question",
    "difficulty_city", "city_line_count", "city_transfer_count", "question_transfer_count", "routes", "json",
)
REASONMAP_PLUS_COLUMNS: tuple[str, ...] = (
    "country", "city", "station_1", "station_2", "figure", "question", "answer", "type", "difficulty_city",
    "city_line_count", "city_transfer_count",
)
REASONMAP_TRAIN_COLUMNS: tuple[str, ...] = (
    "country", "city", "station_1", "station_2", "question", "difficulty_question", "difficulty_city",
    "city_line_count", "city_transfer_count", "question_transfer_count", "type", "answer", "figure", "json",
)

#: ``difficulty_question`` written on ReasonMap-Plus rows of ReasonMap-Train. The public data has a 4th class there
#: whose spelling is unknown (data-schema §1.3 [INFERRED]); we use the same placeholder as the integer columns.
PLUS_DIFFICULTY_QUESTION = "-1"
#: ``answer`` of planning rows and ``question_transfer_count`` of Plus rows in ReasonMap-Train [READ].
PLACEHOLDER_INT = -1

#: Integer columns (int64 in the public parquet files); every other public column is a string except ``routes``.
INT_COLUMNS = frozenset({"city_line_count", "city_transfer_count", "question_transfer_count", "answer"})


@dataclass(frozen=True)
class Schema:
    """One public dataset layout."""

    name: str
    hub_id: str
    columns: tuple[str, ...]
    splits: tuple[str, ...]

    @property
    def int_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c in INT_COLUMNS)

    @property
    def str_columns(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in INT_COLUMNS and c != "routes")


REASONMAP = Schema("reasonmap", "FSCCS/ReasonMap", REASONMAP_COLUMNS, ("train", "validation"))
REASONMAP_PLUS = Schema("reasonmap-plus", "FSCCS/ReasonMap-Plus", REASONMAP_PLUS_COLUMNS, ("train", "test"))
REASONMAP_TRAIN = Schema("reasonmap-train", "FSCCS/ReasonMap-Train", REASONMAP_TRAIN_COLUMNS, ("train",))

SCHEMAS: dict[str, Schema] = {s.name: s for s in (REASONMAP, REASONMAP_PLUS, REASONMAP_TRAIN)}
_ALIASES = {"plus": "reasonmap-plus", "train": "reasonmap-train", "reasonmap_plus": "reasonmap-plus",
            "reasonmap_train": "reasonmap-train"}


def get_schema(name: str | Schema) -> Schema:
    """A schema by name (``reasonmap``, ``reasonmap-plus``, ``reasonmap-train``), alias or hub id."""
    if isinstance(name, Schema):
        return name
    key = str(name).strip()
    for s in SCHEMAS.values():
        if key.lower() == s.hub_id.lower():
            return s
    key = key.lower()
    key = _ALIASES.get(key, key)
    if key not in SCHEMAS:
        raise DataError(f"unknown schema {name!r}; expected one of {', '.join(SCHEMAS)}")
    return SCHEMAS[key]


def detect_schema(columns) -> Schema | None:
    """The schema whose column set equals ``columns`` (order ignored), or None."""
    cols = set(columns)
    for s in SCHEMAS.values():
        if cols == set(s.columns):
            return s
    return None


def features_for(schema: Schema | str, *, max_routes: int = 1, embed_stations: bool = False):
    """``datasets.Features`` of a schema.

    ``routes`` is a ``datasets.Json`` column: each row holds exactly its own plans ``{"1": plan, …}``, never a
    ``None`` plan (a struct column would pad every row to the most plans of any row with ``None``, and the released
    ``main.py`` iterates ``routes.items()`` and zips each plan: a ``None`` plan crashes it). ``max_routes`` is kept
    for callers and ignored. ``embed_stations``: ``json`` is a ``Json`` column holding the station mapping itself
    (what ``main.py`` reads, ``json.dump(sample["json"])``) instead of a path string."""
    from datasets import Features, Json, Value

    schema = get_schema(schema)
    feats = {}
    for c in schema.columns:
        if c == "routes":
            feats[c] = Json()
        elif c == "json" and embed_stations:
            feats[c] = Json()
        elif c in INT_COLUMNS:
            feats[c] = Value("int64")
        else:
            feats[c] = Value("string")
    return Features(feats)
