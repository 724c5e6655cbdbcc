"""The paper's ablation (RM-paper Table 3) in miniature: every recipe from one base policy, the same step budget
and seeds, evaluated on held-out miniature cities.

:func:`run_ablation` reads top to bottom:

1. the world (:mod:`rewardmap.experiments.world`): pre-training, RL-training and evaluation cities, disjoint;
2. the base policy (:mod:`rewardmap.experiments.base_policy`), built once and evaluated once;
3. for each recipe × seed: the real training recipe (:func:`rewardmap.training.recipe.train`) on the base policy,
   then the real evaluation runner on the held-out cities — each pair in a folder of its own, skipped when its
   ``result.json`` exists with the same parameters (an interrupted experiment resumes at the recipe it was in);
4. the table (mean ± sample std over seeds), the training curves and the verdict
   (:mod:`rewardmap.experiments.table`).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from rewardmap.errors import ConfigError
from rewardmap.experiments.base_policy import MINIATURE_SPEC, PretrainSettings
from rewardmap.experiments.world import World, build_world

RESULT_FILE = "result.json"


@dataclass(frozen=True)
class Recipe:
    """One row of the ablation: which rows, which reward, which curriculum (and an SFT stage first or not)."""

    name: str
    label: str                          # the paper's row name
    reward: str                         # baseline (format + correctness) | design (the budget's design_reward)
    curriculum: str                     # shuffled (one stage) | rewardmap (TorF → Counting2+3 → Counting1 → planning)
    types: tuple[str, ...] | None = None  # training rows (None: all of ReasonMap-Train, Plus + planning)
    sft: bool = False                   # SFT on ReasonMap-Plus answers before RL (the SFT → RL baseline)


#: Table 3's rows (and Table 4's SFT → RL), in the paper's order.
RECIPES = (
    Recipe("rl-planning", "RL baseline, planning only (R_train)", "baseline", "shuffled", ("planning",)),
    Recipe("rl-planning-reward", "+ reward design, planning only (R_train)", "design", "shuffled", ("planning",)),
    Recipe("rl-baseline", "RL baseline, Plus + planning shuffled", "baseline", "shuffled"),
    Recipe("reward-design", "+ reward design", "design", "shuffled"),
    Recipe("multi-stage", "+ multi-stage", "baseline", "rewardmap"),
    Recipe("rewardmap", "RewardMap (reward design + multi-stage)", "design", "rewardmap"),
    Recipe("sft-rl", "SFT → RL", "baseline", "shuffled", sft=True),
)
RECIPE_NAMES = tuple(r.name for r in RECIPES)


@dataclass(frozen=True)
class Budget:
    """Sizes of one experiment. ``steps``: GRPO optimizer steps of every recipe (split evenly over its stages)."""

    name: str
    pretrain_cities: int
    train_cities: int
    eval_cities: int
    pretrain: PretrainSettings
    steps: int
    seeds: tuple[int, ...]
    prompts_per_step: int = 8
    num_generations: int = 4
    learning_rate: float = 2e-4
    max_completion_length: int = 40
    sft_steps: int = 60
    recipes: tuple[str, ...] = RECIPE_NAMES
    world_seed: int = 0
    #: The reward of the "reward design" rows: ``paper`` (RM-paper §4.2: the baseline's format + correctness plus
    #: α·detail, difficulty-weighted — only the design differs from the baseline) or ``official`` (the released
    #: reward, which has no format term: it changes two things at once against the baseline).
    design_reward: str = "paper"

    def key(self) -> dict:
        return asdict(self)


BUDGETS = {
    "full": Budget("full", pretrain_cities=40, train_cities=32, eval_cities=6,
                   pretrain=PretrainSettings(steps=400), steps=32, seeds=(0, 1, 2)),
    "quick": Budget("quick", pretrain_cities=16, train_cities=12, eval_cities=4,
                    pretrain=PretrainSettings(steps=200, per_map=40), steps=32, seeds=(0, 1),
                    recipes=("rl-planning", "rl-baseline", "rewardmap")),
    "demo": Budget("demo", pretrain_cities=12, train_cities=8, eval_cities=3,
                   pretrain=PretrainSettings(steps=120, per_map=40), steps=24, seeds=(0,),
                   recipes=("rl-planning", "rewardmap")),
}


@dataclass
class RunOutcome:
    """One recipe × seed: the evaluation summaries and the training log's curves."""

    recipe: str
    seed: int
    evaluation: dict
    curves: dict[str, list[float | None]]
    stages: list
    wall_s: float
    params: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def reward_preset(recipe: Recipe, budget: Budget) -> str:
    """The reward preset a recipe trains with (``design`` → the budget's ``design_reward``)."""
    return budget.design_reward if recipe.reward == "design" else recipe.reward


def train_config(recipe: Recipe, budget: Budget, seed: int, world: World, base: Path, out: Path):
    """The :class:`~rewardmap.training.config.TrainConfig` of one recipe × seed (the ``tiny-cpu`` recipe's knobs,
    the miniature budget's sizes)."""
    from rewardmap.training.config import (
        CurriculumSettings,
        DataSettings,
        GRPOSettings,
        ModelSettings,
        RewardSettings,
        RunSettings,
        SFTSettings,
        TrainConfig,
    )
    from rewardmap.training.curriculum import preset_stages

    n_stages = len(preset_stages(recipe.curriculum, steps=1))
    if budget.steps % n_stages:
        raise ConfigError(f"budget {budget.name}: {budget.steps} steps do not split evenly over the "
                          f"{n_stages} stages of {recipe.curriculum}")
    stages = preset_stages(recipe.curriculum, steps=budget.steps // n_stages)
    spec = MINIATURE_SPEC
    return TrainConfig(
        run=RunSettings(output_dir=str(out), seed=seed, logging_steps=1, save_every=0, keep_checkpoints=1,
                        report_to=(), progress=False),
        model=ModelSettings(path=str(base), dtype="float32"),
        data=DataSettings(train=str(world.datasets / "reasonmap-train"), root=str(world.datasets),
                          types=recipe.types, min_pixels=spec.min_pixels, max_pixels=spec.max_pixels),
        reward=RewardSettings(preset=reward_preset(recipe, budget)),
        curriculum=CurriculumSettings(preset=recipe.curriculum, seed=seed, stages=stages),
        grpo=GRPOSettings(num_generations=budget.num_generations, prompts_per_step=budget.prompts_per_step,
                          learning_rate=budget.learning_rate, beta=1e-3, epsilon=0.2, temperature=1.0,
                          max_completion_length=budget.max_completion_length, scale_rewards="group"),
        sft=SFTSettings(enabled=recipe.sft, learning_rate=1e-3, max_steps=budget.sft_steps, batch_size=8,
                        gradient_accumulation_steps=1, lr_scheduler_type="constant", warmup_ratio=0.0, lora=None),
    )


def evaluate(model_dir: Path, world: World, out: Path, *, max_new_tokens: int,
             log: Callable[[str], None] | None = None) -> dict:
    """Greedy evaluation of ``model_dir`` on the held-out cities: ReasonMap-Plus (every type) and ReasonMap
    (short and long), official metrics, at the image budget saved with the model (224 px for the miniature
    spec; the runner reads it from the processor config and says so). ``log``: the runner's progress
    lines (phases over 3 s; plain lines every 10 s), none when None."""
    from rewardmap.evaluation.runner import EvalOptions, run_eval

    summaries = {}
    for bench in ("reasonmap-plus", "reasonmap"):
        opts = EvalOptions(benchmark=bench, data=str(world.datasets / bench), model=f"hf:{model_dir}",
                           out=str(out / bench), root=str(world.datasets), max_new_tokens=max_new_tokens,
                           batch_size=32, progress=log is not None, dtype="float32")
        summaries[bench] = run_eval(opts, log=log or (lambda msg: None))
    return summaries


def _curves(result) -> dict[str, list[float | None]]:
    keys = ("reward", "frac_reward_zero_std", "rewardmap/accuracy", "rewardmap/accuracy/planning",
            "completions/mean_length")
    return {k: result.metric(k) for k in keys}


def run_recipe(recipe: Recipe, budget: Budget, seed: int, world: World, base: Path, out: Path,
               log: Callable[[str], None] | None = None) -> RunOutcome:
    """Train one recipe × seed from the base policy and evaluate it; writes ``out/result.json`` last."""
    from rewardmap.training.recipe import train

    sizes = {k: v for k, v in budget.key().items() if k not in ("name", "recipes", "seeds")}  # what shapes a run
    base_params = json.loads((base / "base.json").read_text())["params"]  # a rebuilt base policy reruns every recipe
    params = {"budget": sizes, "recipe": asdict(recipe), "seed": seed, "base": str(base), "base_params": base_params}
    params = json.loads(json.dumps(params))  # as it reads back from result.json (tuples become lists)
    done = out / RESULT_FILE
    if done.is_file():
        try:
            saved = json.loads(done.read_text())
            if saved.get("params") == params:
                return RunOutcome(**saved)
        except (json.JSONDecodeError, TypeError):
            pass
    shutil.rmtree(out, ignore_errors=True)  # a different or unfinished run of this recipe × seed
    t0 = time.perf_counter()
    cfg = train_config(recipe, budget, seed, world, base, out / "train")
    if log:
        log(f"  {recipe.name} seed {seed}: {'SFT, then ' if recipe.sft else ''}{budget.steps} GRPO steps "
            f"({recipe.curriculum} curriculum, {reward_preset(recipe, budget)} reward) ...")
    result = train(cfg, progress=False)
    evaluation = evaluate(result.final_model, world, out / "eval", max_new_tokens=budget.max_completion_length,
                          log=(lambda msg: log(f"  {recipe.name} seed {seed} eval: {msg}")) if log else None)
    outcome = RunOutcome(recipe=recipe.name, seed=seed, evaluation=evaluation, curves=_curves(result),
                         stages=[list(b) for b in result.stage_boundaries], wall_s=round(time.perf_counter() - t0, 1),
                         params=params)
    done.write_text(json.dumps(outcome.to_json(), indent=1, default=str))
    return outcome


def run_ablation(out_dir: str | Path, budget: Budget, *, recipes: Sequence[str] | None = None,
                 seeds: Sequence[int] | None = None, design_reward: str | None = None,
                 log: Callable[[str], None] = print, progress: bool = True) -> dict:
    """Run (or resume) the experiment under ``out_dir`` and write its table, plots and report; returns the table."""
    from tqdm.auto import tqdm
    from transformers.utils import logging as hf_logging

    from rewardmap.experiments.base_policy import pretrain_base_policy
    from rewardmap.experiments.reading import reading_dataset
    from rewardmap.experiments.table import constant_answer_rates, write_outputs

    chosen = tuple(recipes or budget.recipes)
    unknown = [r for r in chosen if r not in RECIPE_NAMES]
    if unknown:
        raise ConfigError(f"unknown recipe(s) {', '.join(unknown)}; expected some of {', '.join(RECIPE_NAMES)}")
    if design_reward not in (None, "paper", "official"):
        raise ConfigError(f"design reward {design_reward!r}: expected paper or official")
    budget = replace(budget, recipes=chosen, seeds=tuple(seeds) if seeds else budget.seeds,
                     design_reward=design_reward or budget.design_reward)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    hf_logging.disable_progress_bar()  # a weight-loading bar per model load (dozens): our phase lines cover them
    t_all = time.perf_counter()
    timings: dict[str, float] = {}

    t = time.perf_counter()
    log(f"world: {budget.pretrain_cities} pre-training, {budget.train_cities} RL-training and "
        f"{budget.eval_cities} evaluation cities (mini preset) ...")
    world = build_world(out / "world", pretrain_cities=budget.pretrain_cities, train_cities=budget.train_cities,
                        eval_cities=budget.eval_cities, seed=budget.world_seed)
    timings["world"] = time.perf_counter() - t

    t = time.perf_counter()
    spec = MINIATURE_SPEC
    examples = world.reading_examples(budget.pretrain.per_map, seed=budget.pretrain.seed)
    log(f"base policy: {len(examples)} generic map-reading questions on {budget.pretrain_cities} cities, "
        f"{budget.pretrain.steps} SFT steps (cached in {out / 'base'}) ...")
    bar = tqdm(total=budget.pretrain.steps, desc="base policy (SFT)", unit="step", disable=not progress)

    reported = [0]

    def pretrain_progress(step: int, total: int, loss: float) -> None:
        bar.update(step - bar.n)
        bar.set_postfix_str(f"loss {loss:.3f}")
        if not progress and step * 10 // total > reported[0]:  # plain lines at every tenth when not a terminal
            reported[0] = step * 10 // total
            log(f"  base policy: step {step}/{total}, loss {loss:.3f}")

    base_dir = out / "base"
    stamp = pretrain_base_policy(
        base_dir, lambda: reading_dataset(examples, world.root, min_pixels=spec.min_pixels,
                                          max_pixels=spec.max_pixels),
        spec=spec, settings=budget.pretrain, world_key=world.key,
        tokenizer_text=world.tokenizer_text(examples), progress=pretrain_progress)
    bar.close()
    timings["base policy"] = time.perf_counter() - t

    t = time.perf_counter()
    base_eval_dir = out / "base-eval"
    base_eval = _cached_eval(base_dir, world, base_eval_dir, budget, log=log)
    timings["base evaluation"] = time.perf_counter() - t
    t = time.perf_counter()
    reading = _cached_reading(base_dir, world, out / "base-reading.json", spec, log=log)
    timings["base reading probe"] = time.perf_counter() - t

    runs: list[RunOutcome] = []
    todo = [(r, s) for r in chosen for s in budget.seeds]
    bar = tqdm(total=len(todo), desc="recipes × seeds", unit="run", disable=not progress)
    t = time.perf_counter()
    for name, seed in todo:
        recipe = next(r for r in RECIPES if r.name == name)
        bar.set_postfix_str(f"{name} seed {seed}")
        outcome = run_recipe(recipe, budget, seed, world, base_dir, out / "runs" / name / f"seed-{seed}", log=log)
        runs.append(outcome)
        bar.update(1)
        log(f"  {name} seed {seed}: {_one_line(outcome.evaluation)} ({outcome.wall_s:.0f} s)")
    bar.close()
    timings["recipes"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t_all
    return write_outputs(out, budget=budget, world=world, base=stamp, base_eval=base_eval, runs=runs,
                         recipes=[r for r in RECIPES if r.name in chosen], timings=timings,
                         prior=constant_answer_rates(*_answers(world)), reading=reading)


#: The base policy's reading probe: questions per map, on this many RL-training cities (never evaluation cities).
PROBE_PER_MAP, PROBE_CITIES, PROBE_SEED = 14, 6, 99


def _cached_reading(model_dir: Path, world: World, path: Path, spec, log: Callable[[str], None]) -> dict:
    """The base policy's generic reading accuracy on RL-training cities (:func:`reading_accuracy`), cached."""
    from rewardmap.experiments.base_policy import reading_accuracy

    key = {"base": json.loads((model_dir / "base.json").read_text())["params"], "per_map": PROBE_PER_MAP,
           "cities": list(world.train_cities[:PROBE_CITIES]), "seed": PROBE_SEED}
    if path.is_file():
        try:
            saved = json.loads(path.read_text())
            if saved.get("key") == key:
                return saved["reading"]
        except json.JSONDecodeError:
            pass
    examples = world.probe_examples(PROBE_PER_MAP, cities=PROBE_CITIES, seed=PROBE_SEED)
    log(f"base policy: generic reading probe, {len(examples)} questions on {len(key['cities'])} RL-training cities ...")
    reading = reading_accuracy(model_dir, examples, world.root, min_pixels=spec.min_pixels, max_pixels=spec.max_pixels)
    path.write_text(json.dumps({"key": key, "reading": reading}, indent=1))
    return reading


def _answers(world: World) -> tuple[list[tuple[str, object]], list[tuple[str, object]]]:
    """``(type, answer)`` of the ReasonMap-Train Plus rows and of the held-out ReasonMap-Plus rows."""
    from rewardmap.data import load_rows

    train = load_rows(str(world.datasets / "reasonmap-train"), split="train")
    test = load_rows(str(world.datasets / "reasonmap-plus"), split="test")
    return (list(zip(train["type"], train["answer"], strict=True)),
            list(zip(test["type"], test["answer"], strict=True)))


def _cached_eval(model_dir: Path, world: World, out: Path, budget: Budget, log: Callable[[str], None]) -> dict:
    stamp = out / RESULT_FILE
    key = {"model": str(model_dir), "base": json.loads((model_dir / "base.json").read_text())["params"],
           "max_new_tokens": budget.max_completion_length}
    if stamp.is_file():
        saved = json.loads(stamp.read_text())
        if saved.get("key") == key:
            return saved["evaluation"]
    shutil.rmtree(out, ignore_errors=True)
    log("base policy: evaluation on the held-out cities ...")
    evaluation = evaluate(model_dir, world, out, max_new_tokens=budget.max_completion_length,
                          log=lambda msg: log(f"  base eval: {msg}"))
    out.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"key": key, "evaluation": evaluation}, indent=1, default=str))
    return evaluation


def _one_line(evaluation: dict) -> str:
    plus = evaluation["reasonmap-plus"]["overall"]["acc"]
    short = evaluation["reasonmap"]["short"]
    return f"Plus acc {plus:.3f}, planning (short) acc {short['acc']:.3f}, map score {short['map']:.2f}"
