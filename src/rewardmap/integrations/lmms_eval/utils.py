"""lmms-eval hooks of the ``reasonmap_*`` and ``reasonmap_plus`` tasks (lmms-eval loads this file by the
``!function utils.…`` tags of the task YAMLs; the name is lmms-eval's convention).

Everything a number depends on is rewardmap's, so lmms-eval and ``rewardmap eval`` agree:

* the prompt is the row's question text, as is (``question_short`` / ``question_long`` / ``question``), no system
  prompt — as ``rewardmap eval`` sends it;
* the image is the row's map through :func:`rewardmap.data.resolve_figure` with ``rewardmap eval``'s default pixel
  budget (``max_pixels`` 12,845,056, Qwen2.5-VL's default);
* scores: :func:`rewardmap.scoring.score_reasonmap` (variant ``official``, parser ``official``) /
  :func:`~rewardmap.scoring.score_plus`; aggregation: :func:`~rewardmap.scoring.aggregate_reasonmap` /
  :func:`~rewardmap.scoring.aggregate_plus` (weighted figures Σw·x/Σw).

Data: ``$REWARDMAP_LMMS_DATA`` names a ``rewardmap data build`` root (``reasonmap/`` and ``reasonmap-plus/`` saved
with ``save_to_disk``, ``maps/``, ``stations/``); the relative ``figure`` / ``json`` paths resolve under it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from datasets import DatasetDict
from lmms_eval.api.task import ConfigurableMessagesTask

from rewardmap import scoring
from rewardmap.data import load_rows, resolve_figure
from rewardmap.errors import ConfigError

#: ``rewardmap eval`` defaults (``--variant``, ``--parse``, ``--max-pixels``).
VARIANT = "official"
PARSE = "official"
MAX_PIXELS = 12_845_056
DATA_ENV = "REWARDMAP_LMMS_DATA"


def _root() -> Path:
    value = os.environ.get(DATA_ENV)
    if not value:
        raise ConfigError(f"${DATA_ENV} is not set: point it at a `rewardmap data build` root (reasonmap/, "
                          "reasonmap-plus/, maps/, stations/)")
    return Path(value).expanduser().resolve()


class ReasonMapTask(ConfigurableMessagesTask):
    """lmms-eval's chat task (messages built from ``doc_to_visual`` + ``doc_to_text``, for lmms-eval's chat models:
    ``openai``, ``vllm``, ``qwen2_5_vl`` …) reading a local ``save_to_disk`` dataset named by ``dataset_path``
    (environment variables expanded) with :func:`rewardmap.data.load_rows`."""

    def __init__(self, *args, config: dict[str, Any] | None = None, **kwargs) -> None:
        if config is not None:
            config = dict(config)
            config.pop("class", None)
        super().__init__(*args, config=config, **kwargs)

    def download(self, dataset_kwargs: dict[str, Any] | None = None) -> None:
        _root()  # a clear error when the variable is missing
        path = os.path.expandvars(str(self.config.dataset_path))
        split = self.config.test_split
        self.dataset = DatasetDict({split: load_rows(path, split=split)})
        if self.config.process_docs is not None:
            self.dataset[split] = self.config.process_docs(self.dataset[split])
        self.dataset_no_image = self.dataset


# ------------------------------------------------------------------------------------------------ prompts
def doc_to_visual(doc: dict) -> list:
    return [resolve_figure(doc["figure"], _root(), max_pixels=MAX_PIXELS)]


def doc_to_text_short(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return str(doc["question_short"])


def doc_to_text_long(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return str(doc["question_long"])


def doc_to_text_plus(doc: dict, lmms_eval_specific_kwargs: dict | None = None) -> str:
    return str(doc["question"])


# ------------------------------------------------------------------------------------------------ scoring
REASONMAP_METRICS = ("weighted_accuracy", "accuracy", "weighted_map_score", "map_score")
PLUS_METRICS = ("weighted_accuracy", "accuracy", "count_weighted_accuracy", "torf_weighted_accuracy")


def _reasonmap_record(doc: dict, results: list[str], kind: str) -> dict:
    answer = results[0] if results else ""
    s = scoring.score_reasonmap(answer, doc, question=kind, variant=VARIANT, stations_root=_root(), parse=PARSE,
                                reasoning=False)
    record = {"correct": bool(s.correct), "map_score": float(s.map_score), "components": dict(s.components or {}),
              "difficulty_question": doc["difficulty_question"], "difficulty_city": doc["difficulty_city"],
              "question": kind}
    return {m: record for m in REASONMAP_METRICS}


def process_results_short(doc: dict, results: list[str]) -> dict:
    return _reasonmap_record(doc, results, "short")


def process_results_long(doc: dict, results: list[str]) -> dict:
    return _reasonmap_record(doc, results, "long")


def process_results_plus(doc: dict, results: list[str]) -> dict:
    answer = results[0] if results else ""
    s = scoring.score_plus(answer, doc, parse=PARSE, reasoning=False)
    record = {"correct": bool(s.correct), "type": doc["type"], "difficulty_city": doc["difficulty_city"]}
    return {m: record for m in PLUS_METRICS}


def reasonmap_weighted_accuracy(records: list[dict]) -> float:
    return scoring.aggregate_reasonmap(records)["weighted_accuracy"]


def reasonmap_accuracy(records: list[dict]) -> float:
    return scoring.aggregate_reasonmap(records)["accuracy"]


def reasonmap_weighted_map_score(records: list[dict]) -> float:
    return scoring.aggregate_reasonmap(records)["weighted_map_score"]


def reasonmap_map_score(records: list[dict]) -> float:
    return scoring.aggregate_reasonmap(records)["map_score"]


def plus_weighted_accuracy(records: list[dict]) -> float:
    return scoring.aggregate_plus(records)["weighted_accuracy"]


def plus_accuracy(records: list[dict]) -> float:
    return scoring.aggregate_plus(records)["accuracy"]


def plus_count_weighted_accuracy(records: list[dict]) -> float:
    return scoring.aggregate_plus(records)["count"]["weighted_accuracy"]


def plus_torf_weighted_accuracy(records: list[dict]) -> float:
    return scoring.aggregate_plus(records)["torf"]["weighted_accuracy"]
