"""Training configuration: YAML files loaded into dataclasses, with ``key.sub=value`` overrides.

One YAML per recipe, with blocks ``run / model / data / reward / curriculum / grpo / sft``. Every field documents
its source: the paper (RM-paper §5.1), the released script (``scripts/reward_map.yaml`` / ``.sh``, paper-spec §5.2),
or ours. A run writes its resolved config next to its outputs (``config.yaml``).

Pure Python: no torch import.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any

import yaml

from rewardmap.errors import ConfigError
from rewardmap.training.curriculum import Stage, check_reward_preset, stages_from_config


def did_you_mean(name: str, candidates) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``candidates`` to a misspelt ``name`` (difflib), or ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Weighting(StrEnum):
    """Where the difficulty weight W of a question goes (``reward.weighting``), wired end to end: the reward
    functions return W·(…) only under ``REWARD``; the trainer multiplies advantages by W only under ``ADVANTAGE``.

    * ``reward`` — the paper and the released code: R = W·(…). Cancelled by per-group std normalisation
      (paper-spec §3.5); active only with ``grpo.scale_rewards: none``.
    * ``advantage`` — ours: A = W·Â after TRL's normalisation, so W survives.
    * ``none`` — W ignored.
    """

    REWARD = "reward"
    ADVANTAGE = "advantage"
    NONE = "none"

    @classmethod
    def parse(cls, value: Any) -> Weighting:
        try:
            return cls(value.value if isinstance(value, Enum) else value)
        except ValueError:
            raise ConfigError(f"reward.weighting: expected {', '.join(w.value for w in cls)}, "
                              f"found {value!r}") from None


#: Where ``run.report_to`` can send the metrics of a run (besides ``metrics.jsonl``, always written).
REPORTERS = ("tensorboard", "wandb")


@dataclass(frozen=True)
class RunSettings:
    """Where and how a run writes."""

    output_dir: str = "runs/train"
    seed: int = 0                 # torch / sampling seed (official yaml: 42 for the sampler only)
    logging_steps: int = 1
    save_every: int = 0           # optimizer steps between checkpoints; 0 = at the end of each stage only
    keep_checkpoints: int = 2     # most recent checkpoints kept (stage-end ones included)
    report_to: tuple[str, ...] = ("tensorboard",)  # tensorboard and/or wandb (pip install wandb); [] or none: neither
    progress: bool = True         # a progress bar over all steps of all stages
    one_trainer: bool | None = None  # one GRPOTrainer for all stages (None: only under DeepSpeed/FSDP/multi-process)

    def __post_init__(self) -> None:
        value = self.report_to
        names = (value,) if isinstance(value, str) else tuple(value or ())
        names = tuple(n for n in names if n != "none")
        for n in names:
            if n not in REPORTERS:
                raise ConfigError(f"run.report_to: expected some of {', '.join(REPORTERS)} (or none), "
                                  f"found {n!r}{did_you_mean(n, REPORTERS)}")
        object.__setattr__(self, "report_to", names)


LORA_TARGETS = ("language+projector", "language", "all-linear")


@dataclass(frozen=True)
class LoraSettings:
    """LoRA adapters (peft) on the policy — the one LoRA type, used by ``model.lora`` (RL) and ``sft.lora``.

    The paper's SFT baseline puts LoRA "on the language blocks and the text-vision projector" (paper-spec §5.1);
    the released LLaMA-Factory yaml uses rank 8 on all linear layers (§5.2). RL is full-parameter in the released
    code. ``targets``: ``language+projector`` (paper) | ``all-linear`` (yaml) | ``language``.
    """

    rank: int = 8                 # released LLaMA-Factory yaml: lora_rank 8
    alpha: int = 16
    dropout: float = 0.05
    targets: str = "language+projector"

    def __post_init__(self) -> None:
        if self.targets not in LORA_TARGETS:
            raise ConfigError(f"lora.targets: expected {', '.join(LORA_TARGETS)}, found {self.targets!r}")
        if self.rank <= 0:
            raise ConfigError(f"lora.rank: expected a positive integer, found {self.rank}")


@dataclass(frozen=True)
class ModelSettings:
    """The policy. ``path: tiny`` builds the tiny offline Qwen2.5-VL (cached under ``tiny_cache``)."""

    path: str = "tiny"            # paper: Qwen/Qwen2.5-VL-7B-Instruct (a local directory here; no downloads)
    tiny_cache: str = "runs/cache/tiny-qwen25vl"
    dtype: str = "auto"           # auto = bf16 on CUDA, fp32 on CPU
    freeze_vision: bool = False   # released RL code trains the whole model
    lora: LoraSettings | None = None
    attn_implementation: str | None = None  # e.g. flash_attention_2 on GPUs


@dataclass(frozen=True)
class SyntheticData:
    """Synthetic cities for the CPU recipes (``rewardmap.synth``)."""

    cities: int = 3
    seed: int = 0
    size: int = 448


@dataclass(frozen=True)
class DataSettings:
    """Training data: a ReasonMap-Train-style dataset directory, or synthetic cities built on the fly."""

    train: str | None = None      # dataset dir (save_to_disk, DatasetDict with "train"); None = synthetic
    root: str | None = None       # where ./maps and ./stations of the rows resolve (default: the dataset's parent)
    synthetic: SyntheticData = field(default_factory=SyntheticData)
    min_pixels: int = 3136        # official rl_dataset: 3,136
    max_pixels: int = 50176       # official: 128,450,560 (images resized before the processor); tiny CPU: 224²
    types: tuple[str, ...] | None = None  # keep only these task types (e.g. [planning] for the R_train ablations)
    max_rows: int | None = None   # cap after filtering (smoke runs)


@dataclass(frozen=True)
class RewardSettings:
    """The reward (``rewardmap.scoring``).

    ``preset``: official (released code: 10·acc + 0.5·detail, ×W) | paper (§3.2 Algorithm 1, explicit format
    term) | baseline (format + correctness, no detail, W = 1). ``weighting``: where the difficulty weight W goes —
    ``reward`` (paper and code: R = W·(…); cancelled by per-group std normalisation, paper-spec §3.5),
    ``advantage`` (ours: A = W·Â after normalisation, so W survives) or ``none``. ``overrides``: fields of
    ``RewardConfig`` (e.g. ``alpha: 0.3``, ``gamma: [1.0, 1.1, 1.2]``, ``beta: [0.0, 0.2]``) for ablations.
    """

    preset: str = "official"
    weighting: Weighting = Weighting.REWARD
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_reward_preset(self.preset, "reward.preset")
        object.__setattr__(self, "weighting", Weighting.parse(self.weighting))
        _check_reward_overrides(self.overrides)


def _check_reward_overrides(overrides: Any) -> None:
    """``reward.overrides`` names fields of :class:`rewardmap.scoring.RewardConfig` (checked at load time)."""
    from rewardmap.scoring import RewardConfig

    if not isinstance(overrides, Mapping):
        raise ConfigError(f"reward.overrides: expected a mapping of RewardConfig fields, found {overrides!r}")
    names = sorted(f.name for f in dataclasses.fields(RewardConfig) if f.name not in ("weighting", "name"))
    for key in overrides:
        if key == "weighting":
            raise ConfigError("reward.overrides.weighting: set reward.weighting (reward | advantage | none) instead")
        if key not in names:
            raise ConfigError(f"reward.overrides: unknown field {key!r}{did_you_mean(key, names)}; "
                              f"expected some of {names}")


@dataclass(frozen=True)
class CurriculumSettings:
    """Stages (``rewardmap.training.curriculum``): a ``preset`` or explicit ``stages``."""

    preset: str = "rewardmap"     # rewardmap (released 4 stages) | coarse | fine | shuffled (baseline)
    steps_per_stage: int | None = None   # None + epochs_per_stage None = one pass (official total_episodes 1)
    epochs_per_stage: float | None = None
    seed: int = 0                 # official: unseeded random.shuffle (not reproducible)
    stages: tuple[Stage, ...] = ()

    def resolved_stages(self) -> tuple[Stage, ...]:
        if self.stages:
            return self.stages
        return stages_from_config({"preset": self.preset, "steps_per_stage": self.steps_per_stage,
                                   "epochs_per_stage": self.epochs_per_stage})


@dataclass(frozen=True)
class GRPOSettings:
    """GRPO hyper-parameters. Paper (§5.1) vs released script (§5.2) where they differ:

    ============================  ===========  =========================  ===============
    knob                          paper        released yaml / sh         field
    ============================  ===========  =========================  ===============
    responses per query           8            8 / **4**                  num_generations
    prompts per step              16           rollout_batch_size 16      prompts_per_step
    learning rate                 1e-6         1e-6                       learning_rate
    KL coefficient (low-var KL)   1e-3         5e-3 / **1e-2**            beta
    clip ratio                    –            0.2                        epsilon
    entropy bonus                 –            1e-3                       entropy_coef
    advantage                     r − mean     (r − mean)/(std + 1e-6)    scale_rewards
    temperature / top-p           –            1.0 / 1.0                  temperature, top_p
    max response length           2048 (eval)  –                          max_completion_length
    weight decay / grad clip      –            1e-2 / 1.0                 weight_decay, max_grad_norm
    ============================  ===========  =========================  ===============
    """

    num_generations: int = 8
    prompts_per_step: int = 16
    learning_rate: float = 1e-6
    weight_decay: float = 1e-2
    beta: float = 1e-3
    epsilon: float = 0.2
    entropy_coef: float = 0.0
    temperature: float = 1.0
    top_p: float = 1.0
    max_completion_length: int = 2048
    scale_rewards: str = "group"  # group = released code (std-normalised); none = the paper's centred advantage
    loss_type: str = "dapo"       # token-mean over the batch, as verl's default loss_agg_mode
    max_grad_norm: float = 1.0
    lr_scheduler_type: str = "constant"  # released: constant, no warmup
    warmup_ratio: float = 0.0
    gradient_checkpointing: bool = False
    bf16: bool | None = None      # None = on CUDA only
    use_vllm: bool = False
    vllm_mode: str = "colocate"
    # any other field of TRL's GRPOConfig (``grpo.extra.FIELD=VALUE``), checked against it and type-coerced
    # (rewardmap.training.engines.trl_args.trl_extra)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.extra, Mapping):
            raise ConfigError(f"grpo.extra: expected a mapping of GRPOConfig fields, found {self.extra!r}")
        if self.scale_rewards not in ("group", "batch", "none"):
            raise ConfigError(f"grpo.scale_rewards: expected group, batch or none, found {self.scale_rewards!r}")
        if self.num_generations < 2:
            raise ConfigError(f"grpo.num_generations: GRPO needs at least 2 responses per query, "
                              f"found {self.num_generations}")


@dataclass(frozen=True)
class SFTSettings:
    """The SFT baseline (LLaMA-Factory in the released code; TRL SFTTrainer here).

    Paper: LoRA on the language blocks + projector, lr 1e-4, ReasonMap-Plus train only. Released yaml: rank 8 on all
    linear layers, lr 1e-5, 1 epoch, cosine, warmup 0.1, batch 1 × grad-accum 2; targets are the bare answers
    (A–D, yes/no, integers); planning rows skipped.
    """

    enabled: bool = False         # run SFT before RL (SFT → RL) or alone (`rewardmap sft`)
    learning_rate: float = 1e-4
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 1
    gradient_accumulation_steps: int = 2
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.1
    lora: LoraSettings | None = field(default_factory=LoraSettings)
    types: tuple[str, ...] = ("TorF1", "TorF2", "Counting1", "Counting2", "Counting3")
    merge_lora: bool = True       # merge adapters into the weights before RL
    # any other field of TRL's SFTConfig (``sft.extra.FIELD=VALUE``), checked against it and type-coerced
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.extra, Mapping):
            raise ConfigError(f"sft.extra: expected a mapping of SFTConfig fields, found {self.extra!r}")


@dataclass(frozen=True)
class TrainConfig:
    """A complete training recipe."""

    run: RunSettings = field(default_factory=RunSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    data: DataSettings = field(default_factory=DataSettings)
    reward: RewardSettings = field(default_factory=RewardSettings)
    curriculum: CurriculumSettings = field(default_factory=CurriculumSettings)
    grpo: GRPOSettings = field(default_factory=GRPOSettings)
    sft: SFTSettings = field(default_factory=SFTSettings)

    def to_mapping(self) -> dict:
        """Plain-data form (what ``config.yaml`` of a run contains)."""
        return _to_plain(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_mapping(), sort_keys=False, allow_unicode=True)


def _to_plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Stage):
        return value.to_mapping()
    if dataclasses.is_dataclass(value):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {k: _to_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_to_plain(v) for v in value]
    return value


def _build(cls, data: Any, where: str):
    if data is None:
        return None
    if cls is Stage:
        return data if isinstance(data, Stage) else Stage.from_mapping(data)
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping, found {type(data).__name__} {data!r}")
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names), key=str)
    if unknown:
        hints = "".join(did_you_mean(u, names) for u in unknown[:1])
        raise ConfigError(f"{where}: unknown field(s) {unknown}{hints}; expected some of {sorted(names)}")
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _coerce(cls, names[key], value, f"{where}.{key}")
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc


_NESTED = {"run": RunSettings, "model": ModelSettings, "data": DataSettings, "reward": RewardSettings,
           "curriculum": CurriculumSettings, "grpo": GRPOSettings, "sft": SFTSettings}
_FIELD_CLASSES = {("ModelSettings", "lora"): LoraSettings, ("SFTSettings", "lora"): LoraSettings,
                  ("DataSettings", "synthetic"): SyntheticData}


def _coerce(owner: type, f: dataclasses.Field, value: Any, where: str):
    sub = _FIELD_CLASSES.get((owner.__name__, f.name))
    if sub is not None:
        return _build(sub, value, where)
    if f.name == "stages":
        return tuple(Stage.from_mapping(s, i) for i, s in enumerate(value or ()))
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, str) and str(f.type).split(" |")[0] in ("float", "int"):
        # YAML 1.1 reads "1e-6" as a string; accept it for numeric fields
        try:
            return float(value) if str(f.type).startswith("float") else int(value)
        except ValueError:
            raise ConfigError(f"{where}: expected a number, found {value!r}") from None
    default = f.default if f.default is not dataclasses.MISSING else None
    if isinstance(default, bool) and not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true/false, found {value!r}")
    if isinstance(default, float) and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, int) and not isinstance(default, bool) and not isinstance(value, int):
        raise ConfigError(f"{where}: expected an integer, found {value!r}")
    if isinstance(default, str) and value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, found {value!r}")
    return value


def config_from_mapping(data: Mapping | None, source: str = "<config>") -> TrainConfig:
    """Build a :class:`TrainConfig` from nested plain data (as read from YAML)."""
    data = dict(data or {})
    unknown = sorted(set(data) - set(_NESTED), key=str)
    if unknown:
        raise ConfigError(f"{source}: unknown block(s) {unknown}{did_you_mean(unknown[0], _NESTED)}; "
                          f"expected some of {list(_NESTED)}")
    blocks = {name: _build(cls, data.get(name) or {}, f"{source}:{name}") for name, cls in _NESTED.items()}
    return TrainConfig(**blocks)


def apply_overrides(data: dict, overrides: Sequence[str]) -> dict:
    """Apply ``block.key=value`` overrides (values parsed as YAML) to nested plain data, in place."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r}: expected KEY=VALUE, e.g. grpo.learning_rate=1e-5")
        key, raw = item.split("=", 1)
        parts = [p for p in key.strip().split(".") if p]
        if len(parts) < 2:
            raise ConfigError(f"override {item!r}: expected BLOCK.FIELD=VALUE, e.g. run.output_dir=runs/x")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"override {item!r}: value is not valid YAML ({exc})") from exc
        node = data
        for p in parts[:-1]:
            child = node.get(p)
            if child is None:
                child = node[p] = {}
            if not isinstance(child, dict):
                raise ConfigError(f"override {item!r}: {p} is not a block")
            node = child
        node[parts[-1]] = value
    return data


def deep_merge(base: Mapping, update: Mapping) -> dict:
    """``update`` laid over ``base``, recursively for nested mappings (lists and scalars are replaced)."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def read_config_data(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict:
    """Plain data of a YAML recipe, with ``base: OTHER.yaml`` (relative to the file) merged underneath."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p} not found")
    if p.resolve() in _seen:
        raise ConfigError(f"{p}: 'base' chain loops back to itself")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: expected a mapping of blocks at the top level")
    base = data.pop("base", None)
    if base is not None:
        data = deep_merge(read_config_data(p.parent / str(base), (*_seen, p.resolve())), data)
    return data


def load_config(path: str | Path | Sequence[str | Path] | None = None, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a YAML recipe (``None`` = all defaults; ``base: OTHER.yaml`` inherits another recipe) and apply
    command-line overrides.

    ``path`` may be several files (``rewardmap train --config A.yaml --config B.yaml``): each is read with its own
    ``base`` chain, and later files are deep-merged over earlier ones; the overrides come last."""
    paths = [] if path is None else [path] if isinstance(path, str | Path) else list(path)
    data: dict = {}
    for p in paths:
        data = deep_merge(data, read_config_data(p))
    apply_overrides(data, overrides)
    source = " + ".join(str(p) for p in paths) if paths else "<defaults>"
    return config_from_mapping(data, source)


#: The ``tiny-cpu`` recipe: ``configs/tiny-cpu.yaml`` of the repository (its one definition).
TINY_CPU_YAML = Path(__file__).resolve().parents[3] / "configs" / "tiny-cpu.yaml"


def tiny_cpu_config(**run_overrides) -> TrainConfig:
    """The ``tiny-cpu`` recipe (``configs/tiny-cpu.yaml``) as a :class:`TrainConfig`."""
    if not TINY_CPU_YAML.is_file():
        raise ConfigError(f"the tiny-cpu recipe is read from {TINY_CPU_YAML}, which is missing: run from a checkout "
                          "of rewardmap")
    cfg = load_config(TINY_CPU_YAML)
    return dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, **run_overrides)) if run_overrides else cfg
