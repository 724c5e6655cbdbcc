"""The multi-stage curriculum: stages of task types, seeded shuffling within a stage, a resumable sampler.

Paper (paper-spec §4.1): a global curriculum by question type (binary judgement → counting → planning) with local
stochasticity (shuffle inside a stage, no difficulty sorting). Released code (§4.2): ``(TorF1+TorF2) →
(Counting2+Counting3) → Counting1 → planning``, each bucket shuffled by the *unseeded* global RNG, sequential
sampling, one pass. Here every stage has its own seed, so the same config gives the same order, and the sampler's
position is part of every checkpoint, so a resumed run continues at the same sample of the same stage.

Pure Python: no torch import. It lives in ``data`` because both the trainers and the data exporters order rows by
it (``rewardmap data export verl`` writes rows in curriculum order); ``rewardmap.training.curriculum`` re-exports it.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rewardmap.errors import ConfigError
from rewardmap.scoring.config import PRESETS as REWARD_PRESETS
from rewardmap.tasks.types import TaskType


def check_reward_preset(name: str | None, where: str) -> None:
    """Raise unless ``name`` is a reward preset of :data:`rewardmap.scoring.config.PRESETS` (the one registry of
    preset names; None = "the run's preset" is allowed where a stage names one)."""
    if name is not None and name not in REWARD_PRESETS:
        raise ConfigError(f"{where}: unknown reward preset {name!r}; expected one of {', '.join(REWARD_PRESETS)}")


@dataclass(frozen=True)
class Stage:
    """One curriculum stage.

    ``steps``: optimizer steps in the stage (each step takes ``prompts_per_step`` prompts; the stage's rows are
    cycled, reshuffled on each pass, when it needs more than it has). ``epochs``: passes over the stage's rows
    instead (the official one-pass schedule is ``epochs: 1``); the incomplete last step is dropped, as the
    official ``drop_last=True``. Exactly one of the two is used; ``steps`` wins when both are set.
    ``reward``: a reward preset for this stage (``official`` / ``paper`` / ``baseline``), or None for the run's.
    ``seed``: seed of the shuffle inside the stage; None derives one from the curriculum seed and the stage index.
    """

    name: str
    types: tuple[TaskType, ...]
    steps: int | None = None
    epochs: float | None = None
    reward: str | None = None
    seed: int | None = None
    shuffle: bool = True

    def __post_init__(self) -> None:
        if not self.types:
            raise ConfigError(f"curriculum stage {self.name!r}: no task types")
        if self.steps is not None and self.steps < 0:
            raise ConfigError(f"curriculum stage {self.name!r}: steps must be >= 0, found {self.steps}")
        if self.epochs is not None and self.epochs <= 0:
            raise ConfigError(f"curriculum stage {self.name!r}: epochs must be > 0, found {self.epochs}")
        check_reward_preset(self.reward, f"curriculum stage {self.name!r}: reward")

    @classmethod
    def from_mapping(cls, data: Mapping, index: int = 0) -> Stage:
        """Build a stage from its YAML mapping (``name``, ``types``, ``steps`` | ``epochs``, ``reward``, ``seed``)."""
        known = {"name", "types", "steps", "epochs", "reward", "seed", "shuffle"}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"curriculum.stages[{index}]: unknown field(s) {sorted(unknown)}; "
                              f"expected some of {sorted(known)}")
        raw_types = data.get("types")
        if isinstance(raw_types, str):
            raw_types = [raw_types]
        if not raw_types:
            raise ConfigError(f"curriculum.stages[{index}].types: expected a list of task types, found {raw_types!r}")
        try:
            types = tuple(TaskType.parse(t) for t in raw_types)
        except Exception as exc:
            raise ConfigError(f"curriculum.stages[{index}].types: {exc}") from exc
        return cls(name=str(data.get("name", f"stage{index + 1}")), types=types,
                   steps=None if data.get("steps") is None else int(data["steps"]),
                   epochs=None if data.get("epochs") is None else float(data["epochs"]),
                   reward=data.get("reward"), seed=None if data.get("seed") is None else int(data["seed"]),
                   shuffle=bool(data.get("shuffle", True)))

    def to_mapping(self) -> dict:
        out: dict = {"name": self.name, "types": [t.value for t in self.types]}
        for key in ("steps", "epochs", "reward", "seed"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if not self.shuffle:
            out["shuffle"] = False
        return out


T = TaskType
#: Named stage partitions (paper-spec §4.2).
PRESETS: dict[str, tuple[tuple[str, tuple[TaskType, ...]], ...]] = {
    # The released 4-stage order.
    "rewardmap": (("torf", (T.TORF1, T.TORF2)), ("counting23", (T.COUNTING2, T.COUNTING3)),
                  ("counting1", (T.COUNTING1,)), ("planning", (T.PLANNING,))),
    # Commented alternative in the released code / the paper's "coarse-grained" Table 5 row.
    "coarse": (("plus", (T.TORF1, T.TORF2, T.COUNTING1, T.COUNTING2, T.COUNTING3)), ("planning", (T.PLANNING,))),
    # Commented "fine-grained" alternative: six stages.
    "fine": (("torf1", (T.TORF1,)), ("torf2", (T.TORF2,)), ("counting3", (T.COUNTING3,)),
             ("counting2", (T.COUNTING2,)), ("counting1", (T.COUNTING1,)), ("planning", (T.PLANNING,))),
    # No curriculum (the RL baseline): everything shuffled together.
    "shuffled": (("all", tuple(T)),),
}


def preset_stages(name: str, *, steps: int | None = None, epochs: float | None = None) -> tuple[Stage, ...]:
    """The stages of a named preset, each with the same length (``steps`` or ``epochs``; default one epoch)."""
    if name not in PRESETS:
        raise ConfigError(f"curriculum.preset: expected one of {', '.join(PRESETS)}, found {name!r}")
    if steps is None and epochs is None:
        epochs = 1.0
    return tuple(Stage(name=n, types=types, steps=steps, epochs=epochs) for n, types in PRESETS[name])


@dataclass(frozen=True)
class StagePlan:
    """The resolved order of one stage: dataset row indices, grouped ``prompts_per_step`` at a time."""

    index: int
    stage: Stage
    rows: tuple[int, ...]
    steps: int

    def step_rows(self, step: int, prompts_per_step: int) -> tuple[int, ...]:
        return self.rows[step * prompts_per_step:(step + 1) * prompts_per_step]


def _stage_seed(seed: int, index: int, stage: Stage) -> int:
    if stage.seed is not None:
        return stage.seed
    digest = hashlib.sha256(f"{seed}:{index}:{stage.name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def plan_curriculum(types: Sequence[str], stages: Sequence[Stage], *, prompts_per_step: int,
                    seed: int = 0, skip_empty: bool = True) -> list[StagePlan]:
    """Resolve the stages against a dataset's ``type`` column.

    Returns one :class:`StagePlan` per stage that has at least one step (a stage with no rows, or fewer rows than
    one step, is skipped — or raises when ``skip_empty`` is False). The same inputs always give the same plan.
    """
    if prompts_per_step <= 0:
        raise ConfigError(f"prompts_per_step must be positive, found {prompts_per_step}")
    parsed = [TaskType.parse(t) for t in types]
    plans: list[StagePlan] = []
    for i, stage in enumerate(stages):
        wanted = set(stage.types)
        pool = [r for r, t in enumerate(parsed) if t in wanted]
        if not pool:
            if skip_empty:
                continue
            raise ConfigError(f"curriculum stage {stage.name!r}: the dataset has no rows of type "
                              f"{', '.join(t.value for t in stage.types)}")
        rng = random.Random(_stage_seed(seed, i, stage))
        if stage.steps is not None:
            need = stage.steps * prompts_per_step
        else:
            need = int(len(pool) * (stage.epochs or 1.0)) // prompts_per_step * prompts_per_step
        rows: list[int] = []
        while len(rows) < need:
            chunk = list(pool)
            if stage.shuffle:
                rng.shuffle(chunk)
            rows.extend(chunk)
        rows = rows[:need]
        if need == 0:  # fewer rows than one step: the stage cannot run
            if skip_empty:
                continue
            raise ConfigError(f"curriculum stage {stage.name!r}: {len(pool)} rows, fewer than one step "
                              f"({prompts_per_step} prompts)")
        plans.append(StagePlan(index=i, stage=stage, rows=tuple(rows), steps=need // prompts_per_step))
    return plans


@dataclass
class CurriculumSampler:
    """Walks a curriculum plan step by step; its position is checkpointed with :meth:`state_dict`.

    ``position`` = (stage number within the plan, step within the stage). ``fingerprint`` identifies the plan, so
    a checkpoint cannot silently be resumed against a different dataset or curriculum.
    """

    plans: list[StagePlan]
    prompts_per_step: int
    stage_pos: int = 0
    step_in_stage: int = 0
    fingerprint: str = field(default="", init=False)

    def __post_init__(self) -> None:
        h = hashlib.sha256()
        h.update(json.dumps([self.prompts_per_step] + [[p.index, p.stage.name, list(p.rows)] for p in self.plans])
                 .encode())
        self.fingerprint = h.hexdigest()[:16]

    @classmethod
    def from_dataset_types(cls, types: Sequence[str], stages: Sequence[Stage], *, prompts_per_step: int,
                           seed: int = 0) -> CurriculumSampler:
        return cls(plan_curriculum(types, stages, prompts_per_step=prompts_per_step, seed=seed), prompts_per_step)

    @property
    def total_steps(self) -> int:
        return sum(p.steps for p in self.plans)

    @property
    def global_step(self) -> int:
        return sum(p.steps for p in self.plans[:self.stage_pos]) + self.step_in_stage

    @property
    def done(self) -> bool:
        return self.stage_pos >= len(self.plans)

    @property
    def current(self) -> StagePlan:
        return self.plans[self.stage_pos]

    def remaining_rows(self) -> tuple[int, ...]:
        """Rows of the current stage from the current step on (what the stage's trainer should consume)."""
        return self.current.rows[self.step_in_stage * self.prompts_per_step:]

    def next_rows(self) -> tuple[int, ...]:
        """The prompts of the next step (without advancing)."""
        return self.current.step_rows(self.step_in_stage, self.prompts_per_step)

    def advance(self, steps: int = 1) -> None:
        """Move forward ``steps`` optimizer steps, crossing stage boundaries as needed."""
        for _ in range(steps):
            if self.done:
                raise ConfigError("curriculum sampler advanced past its last step")
            self.step_in_stage += 1
            if self.step_in_stage >= self.current.steps:
                self.stage_pos += 1
                self.step_in_stage = 0
                while not self.done and self.current.steps == 0:
                    self.stage_pos += 1

    def __iter__(self):
        """Yield ``(stage_plan, step_in_stage, rows)`` from the current position to the end, advancing."""
        while not self.done and self.current.steps == 0:
            self.stage_pos += 1
        while not self.done:
            plan, step = self.current, self.step_in_stage
            rows = self.next_rows()
            self.advance()
            yield plan, step, rows

    def state_dict(self) -> dict:
        return {"stage_pos": self.stage_pos, "step_in_stage": self.step_in_stage,
                "stage_name": None if self.done else self.current.stage.name, "global_step": self.global_step,
                "fingerprint": self.fingerprint, "prompts_per_step": self.prompts_per_step}

    def load_state_dict(self, state: Mapping) -> None:
        if state.get("fingerprint") != self.fingerprint:
            raise ConfigError("curriculum state does not match this run's curriculum (different data, stages, seed "
                              f"or batch size): checkpoint {state.get('fingerprint')!r} vs {self.fingerprint!r}")
        self.stage_pos = int(state["stage_pos"])
        self.step_in_stage = int(state["step_in_stage"])


def curriculum_order(types: Sequence[str], stages: Sequence[Stage], *, prompts_per_step: int,
                     seed: int = 0) -> list[int]:
    """All dataset rows of the curriculum, in training order (stage after stage, each a whole number of steps).

    For engines that read a pre-ordered file without shuffling — e.g. verl with ``data.shuffle: false``, as the
    released code trains: ``export_verl(dataset.select(curriculum_order(dataset["type"], stages, ...)), path)``.
    """
    plans = plan_curriculum(types, stages, prompts_per_step=prompts_per_step, seed=seed)
    return [r for p in plans for r in p.rows]


def stages_from_config(data: Mapping | None) -> tuple[Stage, ...]:
    """Read the ``curriculum`` YAML block: either ``preset`` (+ ``steps_per_stage`` / ``epochs_per_stage``) or an
    explicit ``stages`` list."""
    data = dict(data or {})
    if data.get("stages"):
        return tuple(Stage.from_mapping(s, i) for i, s in enumerate(data["stages"]))
    return preset_stages(data.get("preset", "rewardmap"), steps=data.get("steps_per_stage"),
                         epochs=data.get("epochs_per_stage"))
