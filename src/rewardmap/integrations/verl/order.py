"""The curriculum order of a verl parquet file's rows, from their ``extra_info`` (no verl, no torch).

:class:`~rewardmap.integrations.verl.dataset.CurriculumRLHFDataset` calls :func:`curriculum_positions` on the rows
verl kept (after its over-long-prompt filter) and reorders its dataframe with the result, so verl's sequential
sampler (``data.shuffle=false``) walks our curriculum plan (:func:`rewardmap.training.curriculum.plan_curriculum`)
step by step.

Each row's ``extra_info`` holds ``type`` and ``index`` (its row number in the exported dataset) and, when the export
wrote the rows in curriculum order, ``stage``. Rows are first put back in ``index`` order (a row repeated by a
multi-pass stage counts once), so the plan is the plan of the exported dataset whatever order the file holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewardmap.errors import ConfigError, DataError
from rewardmap.training.curriculum import Stage, StagePlan, plan_curriculum, stages_from_config

#: Keys of the ``data.rewardmap_curriculum`` block read by the dataset class (the rest is our ``curriculum`` YAML
#: block: ``preset`` | ``stages``, ``steps_per_stage``, ``epochs_per_stage``).
SETTINGS_KEYS = ("preset", "stages", "steps_per_stage", "epochs_per_stage", "seed", "prompts_per_step")


@dataclass(frozen=True)
class StageSpan:
    """One stage's rows in the reordered dataset: positions ``start`` (inclusive) to ``end`` (exclusive)."""

    name: str
    start: int
    end: int
    steps: int


@dataclass(frozen=True)
class CurriculumOrder:
    """Dataset positions in training order, the stage of each, and each stage's span."""

    positions: tuple[int, ...]
    stage_names: tuple[str, ...]
    spans: tuple[StageSpan, ...]
    plans: tuple[StagePlan, ...]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


def read_settings(block: Mapping | None, *, default_prompts_per_step: int | None) -> tuple[tuple[Stage, ...], int, int]:
    """``(stages, prompts_per_step, seed)`` from a ``data.rewardmap_curriculum`` block (OmegaConf or dict)."""
    data = _plain(dict(block or {}))
    unknown = set(data) - set(SETTINGS_KEYS)
    if unknown:
        raise ConfigError(f"data.rewardmap_curriculum: unknown field(s) {sorted(unknown)}; "
                          f"expected some of {list(SETTINGS_KEYS)}")
    pps = data.get("prompts_per_step") or default_prompts_per_step
    if not pps:
        raise ConfigError("data.rewardmap_curriculum.prompts_per_step: not set and no data.train_batch_size")
    stages = stages_from_config({k: data[k] for k in ("preset", "stages", "steps_per_stage", "epochs_per_stage")
                                 if data.get(k) is not None})
    return stages, int(pps), int(data.get("seed") or 0)


def curriculum_positions(extra_infos: Sequence[Mapping | None], stages: Sequence[Stage], *,
                         prompts_per_step: int, seed: int = 0) -> CurriculumOrder:
    """The training order of rows whose ``extra_info`` values are given (positions into that list).

    Equal to ``plan_curriculum([row["type"] for row in exported rows], stages, ...)`` mapped onto the file's
    positions. Raises :class:`DataError` when a row lacks ``type`` or ``index``, and :class:`ConfigError` when a
    row's ``stage`` (written by the export) disagrees with the plan, i.e. the file was exported with another
    curriculum than the one configured here."""
    first_pos: dict[int, int] = {}
    types: dict[int, str] = {}
    stage_label: dict[int, Any] = {}
    for pos, info in enumerate(extra_infos):
        missing = [k for k in ("type", "index") if not isinstance(info, Mapping) or info.get(k) is None]
        if missing:
            raise DataError(f"extra_info has no {missing[0]!r} (expected the columns `rewardmap data export verl` "
                            "writes)", row=pos, column=f"extra_info.{missing[0]}")
        index = int(info["index"])
        if index not in first_pos:
            first_pos[index] = pos
            types[index] = str(info["type"])
            stage_label[index] = info.get("stage")
    source = sorted(first_pos)
    plans = plan_curriculum([types[i] for i in source], stages, prompts_per_step=prompts_per_step, seed=seed)
    positions: list[int] = []
    names: list[str] = []
    spans: list[StageSpan] = []
    for plan in plans:
        start = len(positions)
        for r in plan.rows:
            index = source[r]
            label = stage_label[index]
            if label is not None and label not in (plan.stage.name, plan.index):
                raise ConfigError(f"verl row with extra_info.index={index}: exported in stage {label!r}, but the "
                                  f"configured curriculum puts it in stage {plan.stage.name!r}; export and train "
                                  "with the same curriculum")
            positions.append(first_pos[index])
            names.append(plan.stage.name)
        spans.append(StageSpan(plan.stage.name, start, len(positions), plan.steps))
    return CurriculumOrder(tuple(positions), tuple(names), tuple(spans), tuple(plans))
