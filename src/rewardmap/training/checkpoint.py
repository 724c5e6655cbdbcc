"""Checkpoints of a GRPO run: everything an exact resume needs, written atomically.

``<output_dir>/checkpoints/step-NNNNNN/`` holds

* the policy weights (safetensors; the LoRA adapter for peft policies, plus ``ref/`` — the KL reference adapter) and
  the processor;
* ``optimizer.pt`` — AdamW's state (when the run owns the optimizer; DeepSpeed/FSDP own theirs: not saved);
* ``scheduler.pt`` — the one learning-rate schedule of the whole run (all stages);
* ``rng.pt`` — the Python, NumPy and torch (CPU and CUDA) generator states of every process, in rank order;
* ``rewardmap_state.json`` — the global step, the curriculum sampler's position and the plan's fingerprint, the
  world size, the base policy path and the run's resolved config (what a resume is compared against, field by
  field: :func:`check_resume_config`).

A checkpoint is written to ``step-NNNNNN.tmp`` and renamed when complete, so a folder without ``.tmp`` is whole.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardmap.errors import ConfigError

STATE_FILE = "rewardmap_state.json"
CHECKPOINTS = "checkpoints"

#: Config fields a resumed run may change: where and how it reports, not what it trains.
RESUMABLE_FIELDS = ("run.output_dir", "run.progress", "run.report_to", "run.logging_steps", "run.save_every",
                    "run.keep_checkpoints")


def checkpoint_dir(out: Path, step: int) -> Path:
    return out / CHECKPOINTS / f"step-{step:06d}"


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The newest complete checkpoint of a run directory, or None."""
    ckpts = sorted(p for p in (Path(output_dir) / CHECKPOINTS).glob("step-*")
                   if not p.name.endswith(".tmp") and (p / STATE_FILE).is_file())
    return ckpts[-1] if ckpts else None


def resume_checkpoint(output_dir: str | Path, resume: bool | str | Path) -> Path:
    """The checkpoint ``--resume`` means: the newest of ``output_dir`` (``resume=True``) or the one named. Raises
    :class:`ConfigError` when there is none — checked before any work (data, SFT, model loading)."""
    if resume is True:
        path = latest_checkpoint(output_dir)
        if path is None:
            raise ConfigError(f"--resume: no checkpoint found under {Path(output_dir) / CHECKPOINTS} "
                              "(run.output_dir); expected a step-NNNNNN folder written by an earlier run")
        return path
    path = Path(resume)
    if not (path / STATE_FILE).is_file():
        raise ConfigError(f"--resume {path}: not a checkpoint (no {STATE_FILE}); expected a "
                          f"{CHECKPOINTS}/step-NNNNNN folder of a run")
    return path


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, Mapping):  # an empty mapping (e.g. grpo.extra: {}) has no fields
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: data}


_ABSENT = "<absent>"


def config_differences(saved: Mapping, now: Mapping, *, ignore=RESUMABLE_FIELDS) -> list[str]:
    """``field: VALUE (checkpoint) vs VALUE (now)`` for every field of two plain config mappings that differs,
    in dotted form (``grpo.learning_rate: 1e-05 (checkpoint) vs 2e-05 (now)``), less the ``ignore`` fields."""
    a, b = _flatten(saved), _flatten(now)

    def norm(v):
        return [norm(x) for x in v] if isinstance(v, list | tuple) else v

    out = []
    for key in sorted(set(a) | set(b)):
        if key in ignore or any(key.startswith(f"{i}.") for i in ignore):
            continue
        va, vb = a.get(key, _ABSENT), b.get(key, _ABSENT)
        if norm(va) != norm(vb):
            show = [v if v is _ABSENT else repr(norm(v)) for v in (va, vb)]
            out.append(f"{key}: {show[0]} (checkpoint) vs {show[1]} (now)")
    return out


def check_resume_config(path: Path, now: Mapping) -> None:
    """Refuse to resume ``path`` with a config that trains differently from the one that wrote it, naming every
    field that differs. (Checkpoints written before the config was recorded are not compared.)"""
    state = json.loads((path / STATE_FILE).read_text())
    saved = state.get("config")
    if saved is None:
        return
    diffs = config_differences(saved, now)
    if diffs:
        raise ConfigError(f"--resume: the config differs from the one that wrote {path}: {'; '.join(diffs)} — "
                          "resume with the checkpoint's values, or start a fresh run in another run.output_dir")


def rng_state() -> dict[str, Any]:
    """The state of every random generator a training step draws from (this process)."""
    import numpy as np
    import torch

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore :func:`rng_state`."""
    import numpy as np
    import torch

    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class Checkpoint:
    """A checkpoint read back for resuming."""

    path: Path
    state: dict
    optimizer: dict | None
    scheduler: dict | None
    rng: list[dict] | None       # one per rank

    @property
    def global_step(self) -> int:
        return int(self.state["global_step"])


def read_checkpoint(path: Path) -> Checkpoint:
    import torch

    def load(name: str):
        f = path / name
        return torch.load(f, weights_only=False) if f.is_file() else None

    state = json.loads((path / STATE_FILE).read_text())
    return Checkpoint(path=path, state=state, optimizer=load("optimizer.pt"), scheduler=load("scheduler.pt"),
                      rng=load("rng.pt"))


def begin(out: Path, step: int) -> Path:
    """Create the temporary folder of the checkpoint of ``step`` (main process)."""
    tmp = checkpoint_dir(out, step).with_name(f"step-{step:06d}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def finish(tmp: Path, *, state: dict, optimizer=None, scheduler=None, rng: list[dict] | None = None,
           keep: int = 2) -> Path:
    """Write the training state into ``tmp`` (weights are already there), rename it to its final name and prune
    old checkpoints down to ``keep``. Main process only."""
    import torch

    if optimizer is not None:
        torch.save(optimizer.state_dict(), tmp / "optimizer.pt")
    if scheduler is not None:
        torch.save(scheduler.state_dict(), tmp / "scheduler.pt")
    if rng is not None:
        torch.save(rng, tmp / "rng.pt")
    (tmp / "training_args.bin").unlink(missing_ok=True)
    (tmp / STATE_FILE).write_text(json.dumps(state, indent=2))  # last: its presence marks a whole checkpoint
    final = tmp.with_name(tmp.name.removesuffix(".tmp"))
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    prune(tmp.parent, keep)
    return final


def prune(folder: Path, keep: int) -> None:
    ckpts = sorted(p for p in folder.glob("step-*") if not p.name.endswith(".tmp"))
    for old in ckpts[:-max(1, keep)]:
        shutil.rmtree(old, ignore_errors=True)
