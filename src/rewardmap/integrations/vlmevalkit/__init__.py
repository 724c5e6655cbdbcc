"""VLMEvalKit support: a ``ReasonMap`` (planning) dataset class and the pure helpers behind it (no vlmeval import).

* :func:`write_tsv` — a ReasonMap split as a VLMEvalKit TSV (``index``, base64 ``image`` — each map stored once and
  referenced by index, as VLMEvalKit allows — ``question`` and every column the metric reads, the station file
  embedded as JSON text). Put it at ``$LMUData/ReasonMap_short.tsv`` / ``ReasonMap_long.tsv``.
* :mod:`.reasonmap` — ``class ReasonMap(ImageBaseDataset)`` (imports vlmeval): register it in VLMEvalKit (see
  docs/scaling.md) and run ``--data ReasonMap_short ReasonMap_long``.
* :func:`score_planning_predictions` / :func:`score_plus_predictions` — VLMEvalKit prediction rows scored with
  :mod:`rewardmap.scoring`: what ``ReasonMap.evaluate`` reports, and the cross-check of VLMEvalKit's own
  ``ReasonMap_Plus`` (its parser is its own; same 1.0 / 1.5 / 2.0 weights, Σw·x/Σw).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from rewardmap.errors import ConfigError

#: Columns carried into the TSV (what score_reasonmap and the aggregates read, plus labels).
TSV_COLUMNS = ("country", "city", "station_1", "station_2", "difficulty_question", "difficulty_city",
               "city_line_count", "city_transfer_count", "question_transfer_count", "routes", "json",
               "question_short", "question_long")


def write_tsv(source: str | Path, out: str | Path, *, question: str = "short", split: str | None = "validation",
              root: str | Path | None = None) -> Path:
    """Write ReasonMap rows (``source``: a ``save_to_disk`` folder, parquet or jsonl) as a VLMEvalKit TSV whose
    ``question`` column is ``question_short`` or ``question_long``. ``root``: where ``./maps`` and ``./stations``
    resolve (default: the folder above ``source``)."""
    import pandas as pd

    from rewardmap.data import load_rows, resolve_stations
    from rewardmap.data.loaders import _figure_source, _roots

    if question not in ("short", "long"):
        raise ConfigError(f"question: expected short or long, found {question!r}")
    root = Path(root) if root is not None else Path(source).resolve().parent
    rows = load_rows(str(source), split=split)
    first_index: dict[str, int] = {}
    records = []
    for i, row in enumerate(rows):
        fig = row["figure"]
        key = fig if isinstance(fig, str) and len(fig) < 1024 else f"#{i}"
        if key in first_index:
            image = str(first_index[key])  # VLMEvalKit: a short image value names the row holding the image
        else:
            data, _ = _figure_source(fig, _roots(root))
            raw = data if isinstance(data, bytes) else Path(data).read_bytes()
            image = base64.b64encode(raw).decode("ascii")
            first_index[key] = i
        rec: dict[str, Any] = {"index": i, "image": image, "question": row[f"question_{question}"],
                               "answer": row["station_2"], "kind": question}
        for c in TSV_COLUMNS:
            value = row.get(c)
            if c == "json":
                value = json.dumps(resolve_stations(value, root), ensure_ascii=False)
            elif c == "routes" and not isinstance(value, str):
                value = json.dumps(value, ensure_ascii=False)
            rec[c] = value
        records.append(rec)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame.from_records(records).to_csv(out, sep="\t", index=False)
    return out


def _text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def score_planning_predictions(rows: Iterable[Mapping], *, variant: str = "official", parse: str = "official"
                               ) -> dict[str, Any]:
    """Score VLMEvalKit prediction rows of a ReasonMap TSV (``prediction`` + the TSV columns) with
    :func:`rewardmap.scoring.score_reasonmap`; returns :func:`~rewardmap.scoring.aggregate_reasonmap`'s figures."""
    from rewardmap import scoring

    records = []
    for row in rows:
        row = dict(row)
        kind = _text(row.get("kind")) or "short"
        s = scoring.score_reasonmap(_text(row.get("prediction")), row, question=kind, variant=variant, parse=parse,
                                    reasoning=False)
        records.append({"correct": bool(s.correct), "map_score": float(s.map_score), "question": kind,
                        "difficulty_question": row["difficulty_question"], "difficulty_city": row["difficulty_city"],
                        "components": dict(s.components or {})})
    return scoring.aggregate_reasonmap(records)


def score_plus_predictions(rows: Iterable[Mapping], *, parse: str = "official") -> dict[str, Any]:
    """Score VLMEvalKit ``ReasonMap_Plus`` prediction rows (``prediction``, ``answer``, ``type``,
    ``difficulty_city``) with :func:`rewardmap.scoring.score_plus`; returns
    :func:`~rewardmap.scoring.aggregate_plus`'s figures — the cross-check of VLMEvalKit's own numbers."""
    from rewardmap import scoring

    records = []
    for row in rows:
        row = dict(row)
        row["answer"] = int(row["answer"])
        s = scoring.score_plus(_text(row.get("prediction")), row, parse=parse, reasoning=False)
        records.append({"correct": bool(s.correct), "type": row["type"], "difficulty_city": row["difficulty_city"]})
    return scoring.aggregate_plus(records)


__all__ = ["score_planning_predictions", "score_plus_predictions", "write_tsv"]
