"""The run log: one :class:`StepRecord` per optimizer step in ``metrics.jsonl`` (and TensorBoard and/or Weights &
Biases, per ``run.report_to``), per-stage means in ``summary.json``, and :class:`RunResult`, what every engine
returns.

A step's ``rows`` and ``types`` are those of the batch the trainer received (read from the batch itself, gathered
over all processes), not the sampler's plan. Only the main process writes. Pure Python: no torch import.

The run log, not each stage's TRL trainer, reports to TensorBoard and W&B: one curve over the global step of the
whole run (the stages' trainers each count from 0).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rewardmap.errors import ConfigError

METRICS_FILE = "metrics.jsonl"
EVENTS_FILE = "events.jsonl"      # run events (resumes), one JSON object a line
_RECORD_KEYS = ("step", "stage", "stage_index", "types", "rows")


def tensorboard_available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def check_report_to(report_to: Sequence[str]) -> None:
    """Refuse a ``run.report_to`` whose package is not installed (W&B is an optional extra: ``pip install wandb``).
    TensorBoard is not required: without it ``metrics.jsonl`` still has every metric."""
    if "wandb" in report_to and importlib.util.find_spec("wandb") is None:
        raise ConfigError("run.report_to: wandb is not installed; pip install wandb (or remove wandb from "
                          "run.report_to)")


@dataclass
class StepRecord:
    """What one optimizer step saw and logged."""

    step: int                      # 1-based global step
    stage: str
    stage_index: int
    types: list[str] = field(default_factory=list)   # task type of each prompt of the step (all processes)
    rows: list[int] = field(default_factory=list)    # dataset row of each prompt of the step (all processes)
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"step": self.step, "stage": self.stage, "stage_index": self.stage_index,
                           "types": self.types, "rows": self.rows, **self.metrics})


@dataclass
class RunResult:
    """Outcome of an engine run."""

    output_dir: Path
    final_model: Path
    steps: list[StepRecord]
    stage_boundaries: list[tuple[str, int, int]]   # (stage name, first step, last step), 1-based
    wall_s: float
    resumed_from: Path | None = None
    resumed_from_step: int | None = None   # the global step of ``resumed_from``

    def metric(self, name: str) -> list[float | None]:
        return [s.metrics.get(name) for s in self.steps]


class RunLog:
    """Collects the records of the steps of a run and appends each finished one to ``metrics.jsonl``."""

    def __init__(self, out: Path, *, is_main: bool = True, tensorboard: bool = False,
                 report_to: Sequence[str] = (), run_config: Mapping | None = None):
        """``report_to``: ``tensorboard`` and/or ``wandb`` (``tensorboard=True`` is the older spelling of the
        first); ``run_config``: the resolved config, stored with the W&B run."""
        report_to = tuple(report_to) + (("tensorboard",) if tensorboard else ())
        check_report_to(report_to)
        self.out = out
        self.path = out / METRICS_FILE
        self.is_main = is_main
        self.records: dict[int, StepRecord] = {}
        self.flushed = 0
        self.tb = _tb_writer(out) if "tensorboard" in report_to and is_main else None
        self.wandb = _wandb_run(out, run_config) if "wandb" in report_to and is_main else None

    def start(self, resumed_step: int | None) -> None:
        """A fresh run clears the log; a resumed one keeps the steps up to the checkpoint and notes the resume in
        ``events.jsonl`` (and TensorBoard / W&B)."""
        if not self.is_main:
            return
        if resumed_step is None:
            self.path.unlink(missing_ok=True)
            (self.out / EVENTS_FILE).unlink(missing_ok=True)
        else:
            truncate_metrics(self.path, resumed_step)
            self.event("resumed", step=resumed_step)
            if self.tb is not None:
                self.tb.add_text("run", f"resumed from step {resumed_step}", resumed_step)
            if self.wandb is not None:
                self.wandb.summary["resumed_from_step"] = resumed_step
        self.flushed = resumed_step or 0

    def event(self, kind: str, **fields) -> None:
        """Append ``{"event": kind, **fields}`` to ``events.jsonl`` (main process)."""
        if self.is_main:
            with (self.out / EVENTS_FILE).open("a", encoding="utf-8") as f:
                f.write(json.dumps({"event": kind, **fields}) + "\n")

    def record(self, step: int, stage: str, stage_index: int) -> StepRecord:
        return self.records.setdefault(step, StepRecord(step=step, stage=stage, stage_index=stage_index))

    def add_metrics(self, rec: StepRecord, logs: dict) -> None:
        added = {}
        for k, v in logs.items():
            if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
                rec.metrics[k] = added[k] = float(v)
                if self.tb is not None:
                    self.tb.add_scalar(k, float(v), rec.step)
                    self.tb.add_scalar(f"stage/{rec.stage}/{k}", float(v), rec.step)
        if self.wandb is not None and added:
            self.wandb.log({**added, "stage_index": rec.stage_index}, step=rec.step)

    def flush(self, step: int) -> None:
        """Append the record of ``step`` (once)."""
        rec = self.records.get(step)
        if rec is None or step <= self.flushed:
            return
        self.flushed = step
        if self.is_main:
            with self.path.open("a", encoding="utf-8") as f:
                f.write(rec.to_json() + "\n")

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()
            self.wandb = None


def _wandb_run(out: Path, run_config: Mapping | None):
    """A W&B run for this run directory (project ``$WANDB_PROJECT``, default ``rewardmap``; name = the folder).
    A run left open by an earlier trainer of this process (the SFT stage's TRL ``WandbCallback``) is finished
    first, so SFT and GRPO are two runs, each with its own step axis."""
    import wandb

    if wandb.run is not None:
        wandb.finish()
    return wandb.init(project=os.environ.get("WANDB_PROJECT", "rewardmap"), name=out.resolve().name,
                      dir=str(out), config=dict(run_config or {}))


def _tb_writer(out: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard not installed: metrics.jsonl still has everything
        return None
    return SummaryWriter(log_dir=str(out / "tensorboard"))


def truncate_metrics(path: Path, step: int) -> None:
    """Keep the records of steps ``<= step`` (what a resumed run starts from)."""
    if not path.is_file():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line)["step"] <= step]
    path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")


def read_metrics(path: Path) -> list[StepRecord]:
    """The records of a ``metrics.jsonl``."""
    out = []
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        metrics = {k: v for k, v in d.items() if k not in _RECORD_KEYS}
        out.append(StepRecord(step=d["step"], stage=d["stage"], stage_index=d["stage_index"], types=d["types"],
                              rows=d.get("rows", []), metrics=metrics))
    return out


def summarise(result: RunResult) -> dict:
    """Per-stage means of every logged metric (reward, its components, accuracy per type, zero-std fraction)."""
    per_stage: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for rec in result.steps:
        for k, v in rec.metrics.items():
            per_stage[rec.stage][k].append(v)
    stages = {}
    for name, first, last in result.stage_boundaries:
        m = per_stage.get(name, {})
        stages[name] = {"first_step": first, "last_step": last,
                        "metrics": {k: sum(v) / len(v) for k, v in sorted(m.items()) if v}}
    return {"output_dir": str(result.output_dir), "steps": len(result.steps), "wall_s": round(result.wall_s, 2),
            "resumed_from": str(result.resumed_from) if result.resumed_from else None,
            "resumed_from_step": result.resumed_from_step, "stages": stages}
