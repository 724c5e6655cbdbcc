"""``rewardmap experiment ablation`` (the paper's Table 3 in miniature, :mod:`rewardmap.experiments.ablation`) and
``rewardmap demo`` (its two-recipe version, :mod:`rewardmap.experiments.demo`)."""

from __future__ import annotations

import argparse
import sys

from rewardmap.errors import ConfigError

PRESETS = ("miniature",)


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, found {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    from rewardmap.experiments.ablation import BUDGETS, RECIPE_NAMES

    exp = sub.add_parser("experiment", help="whole studies built from the real pipeline (the ablation in miniature)")
    inner = exp.add_subparsers(dest="experiment", metavar="EXPERIMENT")
    p = inner.add_parser(
        "ablation", help="the paper's Table 3 recipes from one base policy, evaluated on held-out cities",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Builds a miniature world (mini cities: pre-training, RL-training and held-out evaluation "
        "sets), pre-trains one tiny base policy on generic map reading, then runs every recipe with the same step "
        "budget and seeds and evaluates each on the held-out cities. Writes OUT/ablation.{md,json,html} and plots. "
        "Resumable: a finished recipe × seed (its result.json) is not rerun.",
        epilog="examples:\n"
        "  rewardmap experiment ablation --preset miniature                  # the full run (3 seeds)\n"
        "  rewardmap experiment ablation --budget quick --out runs/abl-quick   # a quick look\n"
        "  rewardmap experiment ablation --recipes rl-planning,rewardmap --seeds 0,1")
    p.add_argument("--preset", choices=PRESETS, default="miniature",
                   help="the world and model family (miniature: mini cities, a ~3 M-parameter Qwen2.5-VL)")
    p.add_argument("--budget", choices=sorted(BUDGETS), default="full",
                   help="sizes: full (every recipe, 3 seeds), quick (3 recipes, 2 seeds), demo (2 recipes, 1 seed)")
    p.add_argument("--out", default=None, metavar="DIR", help="output folder (default runs/ablation-<budget>)")
    p.add_argument("--recipes", default=None, metavar="A,B",
                   help=f"only these recipes (of {', '.join(RECIPE_NAMES)})")
    p.add_argument("--seeds", type=_ints, default=None, metavar="0,1,2", help="seeds (default: the budget's)")
    p.add_argument("--design-reward", choices=("paper", "official"), default=None,
                   help="reward of the reward-design rows: paper (default; format + correctness + detail, "
                        "weighted: only the design differs from the baseline) or official (the released reward, "
                        "no format term)")
    p.add_argument("--quiet", action="store_true", help="no progress bars (the summary lines still print)")
    p.set_defaults(func=_ablation)
    exp.set_defaults(func=lambda args: (exp.print_help(), 2)[1])

    demo = sub.add_parser(
        "demo", help="the paper's headline comparison in minutes on a CPU: RL on planning alone vs RewardMap",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="The ablation's demo budget: mini cities → a tiny Qwen2.5-VL pre-trained on generic map "
        "reading of other cities → two recipes from that checkpoint with the same steps (the RL baseline on route "
        "planning only; RewardMap: perception questions + detail reward + multi-stage curriculum) → evaluation on "
        "held-out cities → OUT/ablation.{md,html} with the curves and what moved. Rerunning resumes: finished "
        "parts are reused.",
        epilog="examples:\n  rewardmap demo\n  rewardmap demo --out runs/demo-s1 --seed 1\n"
        "  rewardmap experiment ablation --budget quick   # more recipes and seeds")
    demo.add_argument("--out", default="runs/demo", metavar="DIR", help="output folder (default runs/demo)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the world, the recipes' training (default 0)")
    demo.add_argument("--steps", type=int, default=None,
                      help="GRPO steps per recipe, a multiple of 4 (default: the demo budget's)")
    demo.add_argument("--no-progress", action="store_true", help="no progress bars (phase lines still print)")
    demo.set_defaults(func=_demo)


def _ablation(args: argparse.Namespace) -> int:
    from rewardmap.experiments.ablation import BUDGETS, run_ablation

    budget = BUDGETS[args.budget]
    recipes = tuple(r.strip() for r in args.recipes.split(",") if r.strip()) if args.recipes else None
    if recipes is not None and not recipes:
        raise ConfigError("--recipes: no recipe named")
    out = args.out or f"runs/ablation-{args.budget}"
    doc = run_ablation(out, budget, recipes=recipes, seeds=args.seeds, design_reward=args.design_reward,
                       progress=not args.quiet and sys.stderr.isatty(),
                       log=lambda msg: print(msg, flush=True))
    held = sum(1 for c in doc["verdict"] if c["status"] == "held")
    print(f"wrote {out}/ablation.md, ablation.json, ablation.html ({len(doc['runs'])} runs; {held} of "
          f"{len(doc['verdict'])} of the paper's claims held beyond the seed spread)")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from rewardmap.experiments.demo import run_demo

    doc = run_demo(args.out, seed=args.seed, steps=args.steps,
                   progress=not args.no_progress and sys.stderr.isatty(), log=lambda msg: print(msg, flush=True))
    print()
    print("What moved and what did not (held-out cities, against the base policy):")
    for line in doc["what_moved"]:
        print("  " + line.replace("**", ""))
    print(f"\nreport: {args.out}/ablation.html (also ablation.md, the plots, evaluation/index.html); "
          f"total {doc['timings']['total']:.0f} s")
    return 0
