"""``rewardmap demo``: the whole method end to end on a CPU in a few minutes.

synthetic cities → the three datasets → the tiny offline Qwen2.5-VL → a short format warm-up → evaluation (before)
→ the multi-stage GRPO curriculum with the RewardMap reward, a few steps per stage → evaluation (after) → report
(reward per step with stage boundaries, reward components, zero-std group fraction, accuracy table).

The format warm-up (a few SFT steps on ReasonMap-Plus training answers) exists only because a policy with random
weights never emits a parsable answer, so every GRPO group would score 0 and carry no signal. The paper starts RL
from an instruction-tuned model; the paper recipes (``configs/paper-*.yaml``) have no warm-up.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from rewardmap.errors import ConfigError
from rewardmap.training.config import TrainConfig, load_config

#: The demo's recipe: ``configs/tiny-cpu.yaml`` of the repository (the one definition of the tiny CPU recipe).
TINY_CPU_YAML = Path(__file__).resolve().parents[3] / "configs" / "tiny-cpu.yaml"


def tiny_cpu_config(**run_overrides) -> TrainConfig:
    """The ``tiny-cpu`` recipe (``configs/tiny-cpu.yaml``) as a :class:`TrainConfig`."""
    if not TINY_CPU_YAML.is_file():
        raise ConfigError(f"the demo reads {TINY_CPU_YAML}, which is missing: run it from a checkout of rewardmap")
    cfg = load_config(TINY_CPU_YAML)
    return replace(cfg, run=replace(cfg.run, **run_overrides)) if run_overrides else cfg


def _relative_change(before: Path, after: Path) -> float:
    """‖after − before‖ / ‖before‖ over all tensors of two safetensors files."""
    from safetensors.torch import load_file

    a, b = load_file(str(before)), load_file(str(after))
    num = sum(float((b[k].float() - a[k].float()).pow(2).sum()) for k in a if k in b)
    den = sum(float(a[k].float().pow(2).sum()) for k in a)
    return (num / den) ** 0.5 if den else 0.0


def _evaluate(model_dir: Path, datasets_dir: Path, out: Path, *, max_new_tokens: int, max_pixels: int,
              limit: int | None, progress: bool = True) -> dict:
    """Evaluate ``model_dir`` on both benchmarks into ``out/<benchmark>``. With ``progress`` the runner reports
    phases that last more than a few seconds on stderr (a bar on a terminal, plain lines otherwise), each line
    prefixed with the evaluation's name, e.g. ``demo eval before:``."""
    import sys

    from rewardmap.evaluation.runner import EvalOptions, run_eval
    from rewardmap.evaluation.samples import Subset

    def log(msg: str) -> None:
        print(f"demo eval {out.name}: {msg}", file=sys.stderr, flush=True)

    summaries = {}
    for bench, name in (("reasonmap-plus", "reasonmap-plus"), ("reasonmap", "reasonmap")):
        opts = EvalOptions(benchmark=bench, data=str(datasets_dir / name), model=f"hf:{model_dir}",
                           out=str(out / bench), root=str(datasets_dir), subset=Subset(limit=limit),
                           max_new_tokens=max_new_tokens, max_pixels=max_pixels, batch_size=16, progress=progress)
        summaries[bench] = run_eval(opts, log=log if progress else (lambda msg: None))
    return summaries


def run_demo(out_dir: str | Path = "runs/demo", *, steps_per_stage: int | None = None, cities: int | None = None,
             warmup_steps: int | None = None, eval_limit: int | None = None, seed: int = 0,
             progress: bool = True) -> dict:
    """Run the demo; returns the report paths and timings. Everything is written under ``out_dir``.

    ``steps_per_stage`` / ``cities`` / ``warmup_steps`` default to the ``tiny-cpu`` recipe (4 / 4 / 80);
    ``eval_limit`` caps the evaluated questions per benchmark (default: all held-out questions)."""
    import shutil

    from tqdm.auto import tqdm

    from rewardmap.training.engines.trl import resolve_policy_path, run_grpo
    from rewardmap.training.inputs import prepare_training_data
    from rewardmap.training.report import write_report
    from rewardmap.training.rewards import reward_factory
    from rewardmap.training.sft import sft_then_rl_config

    t_all = time.perf_counter()
    out = Path(out_dir)
    for stale in ("eval", "grpo", "warmup", "warmup-trainer"):  # a rerun must not reuse the last run's results
        shutil.rmtree(out / stale, ignore_errors=True)
    cfg = tiny_cpu_config(output_dir=str(out / "grpo"), progress=progress)
    data_block = replace(cfg.data, synthetic=replace(cfg.data.synthetic, seed=seed,
                                                     cities=cities or cfg.data.synthetic.cities))
    cfg = replace(cfg, data=data_block, model=replace(cfg.model, tiny_cache=str(out / "policy" / "tiny-qwen25vl")),
                  curriculum=replace(cfg.curriculum, seed=seed,
                                     steps_per_stage=steps_per_stage or cfg.curriculum.steps_per_stage),
                  run=replace(cfg.run, seed=seed),
                  sft=replace(cfg.sft, max_steps=warmup_steps or cfg.sft.max_steps))
    timings: dict[str, float] = {}
    phases = tqdm(total=6, desc="demo", unit="phase", disable=not progress, position=0)

    def phase(name: str):
        phases.set_description(f"demo: {name}")

    t = time.perf_counter()
    phase("synthetic cities + datasets")
    data = prepare_training_data(cfg.data, out, progress=False)
    timings["cities + datasets"] = time.perf_counter() - t
    phases.update(1)

    t = time.perf_counter()
    phase("tiny policy")
    base = resolve_policy_path(cfg)
    timings["tiny policy"] = time.perf_counter() - t
    phases.update(1)

    t = time.perf_counter()
    phase("format warm-up (SFT)")
    rl_cfg, warm = sft_then_rl_config(replace(cfg, model=replace(cfg.model, path=str(base))), data.train,
                                      out_dir=out / "warmup")
    timings["format warm-up"] = time.perf_counter() - t
    phases.update(1)

    eval_kw = dict(max_new_tokens=cfg.grpo.max_completion_length, max_pixels=cfg.data.max_pixels, limit=eval_limit)
    t = time.perf_counter()
    phase("evaluation before RL")
    before = _evaluate(warm.model_dir, data.datasets_dir, out / "eval" / "before", **eval_kw)
    timings["evaluation before"] = time.perf_counter() - t
    phases.update(1)

    t = time.perf_counter()
    phase("multi-stage GRPO")
    result = run_grpo(rl_cfg, data.train, reward_factory(cfg.reward, data.root))
    timings["multi-stage GRPO"] = time.perf_counter() - t
    phases.update(1)

    t = time.perf_counter()
    phase("evaluation after RL")
    after = _evaluate(result.final_model, data.datasets_dir, out / "eval" / "after", **eval_kw)
    timings["evaluation after"] = time.perf_counter() - t
    phases.update(1)
    phases.close()

    timings["total"] = time.perf_counter() - t_all
    moved = _relative_change(warm.model_dir / "model.safetensors", result.final_model / "model.safetensors")
    counts = {k: len(v) for k, v in (("train rows", data.train),)}
    notes = [
        f"{cfg.data.synthetic.cities} synthetic cities (seed {seed}); {counts['train rows']} ReasonMap-Train rows; "
        f"held-out cities for evaluation",
        "policy: tiny offline Qwen2.5-VL (random init, ~0.8 M parameters) + "
        f"{warm.steps}-step format warm-up (SFT loss {warm.losses[0]:.2f} → {warm.losses[-1]:.2f})",
        f"curriculum: {cfg.curriculum.preset} ({len(result.stage_boundaries)} stages × "
        f"{cfg.curriculum.steps_per_stage} steps); reward preset {cfg.reward.preset}, weighting "
        f"{cfg.reward.weighting}; {cfg.grpo.prompts_per_step} prompts × {cfg.grpo.num_generations} rollouts per step",
        f"RL moved the weights by {moved:.2%} (relative L2 norm of the change); a model this small learns little in "
        "a few steps: the demo shows the mechanics, not the paper's gains",
    ]
    paths = write_report(result, out, title="rewardmap demo", notes=notes,
                         evals={"before RL": before, "after RL": after},
                         timings={k: round(v, 1) for k, v in timings.items()})
    return {"paths": paths, "timings": timings, "result": result, "before": before, "after": after}
