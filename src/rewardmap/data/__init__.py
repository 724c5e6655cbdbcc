"""Datasets in the public ReasonMap / ReasonMap-Plus / ReasonMap-Train schemas: building, loading, resolving
images and station files, validation, and exporters to verl, LLaMA-Factory and TRL (no torch)."""

from rewardmap.data.build import (
    build_city,
    build_datasets,
    choose_test_cities,
    figure_path,
    stations_path,
)
from rewardmap.data.export import (
    REWARD_COLUMNS,
    export_llamafactory,
    export_verl,
    reward_metadata,
    sft_answer,
    to_trl_conversational,
    trl_prompt,
)
from rewardmap.data.loaders import (
    DEFAULT_MAX_PIXELS_GUARD,
    load_rows,
    resolve_figure,
    resolve_stations,
    scale_resize,
    smart_resize,
)
from rewardmap.data.schemas import (
    PLACEHOLDER_INT,
    PLUS_DIFFICULTY_QUESTION,
    REASONMAP,
    REASONMAP_COLUMNS,
    REASONMAP_PLUS,
    REASONMAP_PLUS_COLUMNS,
    REASONMAP_TRAIN,
    REASONMAP_TRAIN_COLUMNS,
    SCHEMAS,
    Schema,
    detect_schema,
    features_for,
    get_schema,
)
from rewardmap.data.validate import iter_row_errors, validate_rows

__all__ = [
    "DEFAULT_MAX_PIXELS_GUARD", "PLACEHOLDER_INT", "PLUS_DIFFICULTY_QUESTION", "REASONMAP", "REASONMAP_COLUMNS",
    "REASONMAP_PLUS", "REASONMAP_PLUS_COLUMNS", "REASONMAP_TRAIN", "REASONMAP_TRAIN_COLUMNS", "REWARD_COLUMNS",
    "SCHEMAS", "Schema", "build_city", "build_datasets", "choose_test_cities", "detect_schema", "export_llamafactory",
    "export_verl", "features_for", "figure_path", "get_schema", "iter_row_errors", "load_rows", "resolve_figure",
    "resolve_stations", "reward_metadata", "scale_resize", "sft_answer", "smart_resize", "stations_path",
    "to_trl_conversational", "trl_prompt", "validate_rows",
]
