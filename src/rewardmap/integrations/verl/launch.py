"""Prepare a verl run from a rewardmap training config: the parquet, a Hydra config, the exact command.

:func:`prepare_run` is what ``rewardmap train --engine verl`` calls. It runs here (no verl, no GPU needed) and writes
``OUT/verl/``:

* ``train.parquet`` — the training rows (``rewardmap data export verl``: map paths with the ``data.max_pixels`` /
  ``data.min_pixels`` budget per image, rows in curriculum order, the stage in ``extra_info``);
* ``rewardmap_run.yaml`` — a Hydra primary config: verl's ``ppo_trainer`` + our ``recipes/rewardmap_common.yaml`` +
  the model recipe (7B or 3B, by the model path) + every value the training config sets (model, n, lr, KL, clip,
  entropy, lengths, batch, reward preset, curriculum), with the kit's file paths filled in;
* ``launch.sh`` — the command, to run where verl, vLLM and the GPUs are (``rewardmap`` installed there too, so
  verl can load the reward file and the dataset class; the parquet's map paths must resolve there).

Run the command on the machine with the GPUs; for several nodes, start Ray first (docs/scaling.md).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rewardmap.errors import ConfigError, DataError

from . import DATASET_FILE, RECIPES_DIR, REWARD_FILE

#: Model recipes by size (the first whose pattern is found in ``model.path``; 7B otherwise).
MODEL_RECIPES = ((re.compile(r"3b", re.IGNORECASE), "rewardmap_qwen25vl_3b"),
                 (re.compile(r"7b", re.IGNORECASE), "rewardmap_qwen25vl_7b"))
DEFAULT_RECIPE = "rewardmap_qwen25vl_7b"


@dataclass(frozen=True)
class VerlRun:
    """What :func:`prepare_run` wrote."""

    parquet: Path
    config: Path
    script: Path
    command: tuple[str, ...]
    rows: int
    recipe: str

    @property
    def shell(self) -> str:
        """The command as one shell line."""
        return shlex.join(self.command)

    def __str__(self) -> str:
        return (f"verl run prepared (recipe {self.recipe}): {self.rows} rows in {self.parquet}\n"
                f"config: {self.config}\nrun where verl, vLLM and the GPUs are: bash {self.script}")


def _train_config(config):
    from rewardmap.training.config import TrainConfig, config_from_mapping, load_config

    if isinstance(config, TrainConfig):
        return config
    if isinstance(config, str | Path):
        return load_config(config)
    if isinstance(config, Mapping):
        return config_from_mapping(config)
    raise ConfigError(f"prepare_run: expected a TrainConfig, a YAML path or a mapping, found {type(config).__name__}")


def _rows(cfg, out_dir: Path):
    """The training rows and their root, selected as the TRL engine selects them (``data.*``)."""
    from rewardmap.training.inputs import select_training_rows

    rows, root, _ = select_training_rows(cfg.data, out_dir)
    return rows, root


def recipe_for(model_path: str) -> str:
    """The model recipe for a model path (``…3B…`` → 3B, else 7B)."""
    for pattern, name in MODEL_RECIPES:
        if pattern.search(Path(str(model_path)).name):
            return name
    return DEFAULT_RECIPE


def _recipe_values(name: str) -> dict:
    data = yaml.safe_load((RECIPES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in ("hydra", "defaults")}


def _merge(base: dict, update: Mapping) -> dict:
    out = dict(base)
    for k, v in update.items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


def _reward_preset(settings, preset: str | None = None) -> dict:
    from rewardmap.scoring import RewardConfig
    from rewardmap.training.config import Weighting
    from rewardmap.training.rewards import reward_config

    if settings.weighting is Weighting.ADVANTAGE:
        raise ConfigError("reward.weighting: advantage scales GRPO advantages after normalisation, which verl's "
                          "grpo estimator does not do; use weighting reward (with grpo.scale_rewards: none for the "
                          "paper's centred form) or none, or --engine trl")
    mapping = reward_config(settings, preset).to_dict()
    assert RewardConfig.from_dict(mapping) == reward_config(settings, preset)
    return mapping


def run_values(cfg, parquet: Path) -> dict:
    """The Hydra values of a training config (on top of the recipe)."""
    g = cfg.grpo
    stages = cfg.curriculum.resolved_stages()
    if g.scale_rewards not in ("group", "none"):
        raise ConfigError(f"grpo.scale_rewards: verl's grpo estimator has group (std-normalised) or none "
                          f"(centred), found {g.scale_rewards!r}")
    reward_kwargs: dict[str, Any] = {"preset": _reward_preset(cfg.reward)}
    stage_presets = {s.name: _reward_preset(cfg.reward, s.reward) for s in stages if s.reward}
    if stage_presets:
        reward_kwargs["stage_presets"] = stage_presets
    curriculum: dict[str, Any] = {"preset": None, "epochs_per_stage": None, "stages": [s.to_mapping() for s in stages],
                                  "seed": cfg.curriculum.seed}
    return {
        "data": {"train_files": str(parquet), "val_files": str(parquet), "train_batch_size": g.prompts_per_step,
                 "max_response_length": g.max_completion_length, "seed": cfg.run.seed,
                 "custom_cls": {"path": str(DATASET_FILE), "name": "CurriculumRLHFDataset"},
                 "rewardmap_curriculum": curriculum},
        "actor_rollout_ref": {
            "model": {"path": str(cfg.model.path), "enable_gradient_checkpointing": bool(g.gradient_checkpointing)},
            "actor": {"optim": {"lr": g.learning_rate, "weight_decay": g.weight_decay,
                                "lr_scheduler_type": g.lr_scheduler_type, "lr_warmup_steps_ratio": g.warmup_ratio,
                                "clip_grad": g.max_grad_norm},
                      "grad_clip": g.max_grad_norm, "ppo_mini_batch_size": g.prompts_per_step,
                      "clip_ratio": g.epsilon, "entropy_coeff": g.entropy_coef,
                      "use_kl_loss": g.beta > 0, "kl_loss_coef": g.beta},
            "rollout": {"n": g.num_generations, "temperature": g.temperature, "top_p": g.top_p},
        },
        "reward": {"custom_reward_function": {"path": str(REWARD_FILE), "name": "compute_score",
                                              "reward_kwargs": reward_kwargs}},
        "algorithm": {"norm_adv_by_std_in_grpo": g.scale_rewards == "group"},
        "trainer": {"default_local_dir": str(Path(cfg.run.output_dir).resolve() / "checkpoints"),
                    **({"save_freq": cfg.run.save_every} if cfg.run.save_every else {})},
    }


def prepare_run(config, out_dir: str | Path, *, recipe: str | None = None, image_mode: str = "path",
                python: str = "python3") -> VerlRun:
    """Write the parquet, the Hydra config and the launch script of a verl run under ``out_dir/verl``.

    ``config``: a :class:`~rewardmap.training.config.TrainConfig`, a YAML path or a mapping. ``recipe``: a recipe
    name in ``recipes/`` (default: by model size). ``image_mode``: ``path`` (maps read where verl runs) or
    ``bytes`` (maps inside the parquet). Returns a :class:`VerlRun`; nothing is launched."""
    from rewardmap.data.export import curriculum_order_with_stages, export_verl

    cfg = _train_config(config)
    out = Path(out_dir).resolve() / "verl"
    out.mkdir(parents=True, exist_ok=True)
    recipe = recipe or recipe_for(str(cfg.model.path))
    if not (RECIPES_DIR / f"{recipe}.yaml").is_file():
        raise ConfigError(f"verl recipe {recipe!r} not found in {RECIPES_DIR}")
    rows, root = _rows(cfg, Path(out_dir))
    stages = cfg.curriculum.resolved_stages()
    try:  # every row once, in stage order: plain data.shuffle=false then already walks the stages
        order = curriculum_order_with_stages(rows, stages, seed=cfg.curriculum.seed)
    except DataError:  # steps-based stages repeat or drop rows: the dataset class plans them (same seed)
        order = None
    parquet = export_verl(rows, out / "train.parquet", root=root, image_mode=image_mode, order=order,
                          max_pixels=cfg.data.max_pixels, min_pixels=cfg.data.min_pixels, source=cfg.data.train)
    values = _merge(_recipe_values(recipe), run_values(cfg, parquet))
    values["trainer"]["experiment_name"] = Path(cfg.run.output_dir).name or recipe
    run_yaml = out / "rewardmap_run.yaml"
    header = (f"# verl run written by rewardmap.integrations.verl.launch.prepare_run (recipe {recipe}).\n"
              f"# Launch: bash {out / 'launch.sh'}\n")
    doc = {"hydra": {"searchpath": ["pkg://verl.trainer.config", f"file://{RECIPES_DIR}"]},
           "defaults": ["ppo_trainer", "rewardmap_common", "_self_"], **values}
    run_yaml.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    command = (python, "-m", "verl.trainer.main_ppo", "--config-path", str(out), "--config-name", run_yaml.stem)
    script = out / "launch.sh"
    script.write_text("#!/usr/bin/env bash\n# verl run prepared by rewardmap (see rewardmap_run.yaml); extra Hydra "
                      "overrides may follow.\nset -euo pipefail\n"
                      'export VLLM_ATTENTION_BACKEND="${VLLM_ATTENTION_BACKEND:-XFORMERS}"\n'
                      f'exec {shlex.join(command)} "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    (out / "command.txt").write_text(shlex.join(command) + "\n", encoding="utf-8")
    (out / "run.json").write_text(json.dumps({"recipe": recipe, "rows": len(rows), "parquet": str(parquet),
                                              "config": str(run_yaml), "command": list(command)}, indent=2) + "\n",
                                  encoding="utf-8")
    return VerlRun(parquet=parquet, config=run_yaml, script=script, command=command, rows=len(rows), recipe=recipe)
