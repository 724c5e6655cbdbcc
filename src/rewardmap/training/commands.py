"""``rewardmap train`` and ``rewardmap sft``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

TRAIN_EPILOG = """\
Overrides are BLOCK.FIELD=VALUE with YAML values, applied after the --config files; a misspelt field is refused
with the closest real one. Any other field of TRL's GRPOConfig / SFTConfig: grpo.extra.FIELD=VALUE /
sft.extra.FIELD=VALUE (checked against TRL's dataclass, coerced to its type).

examples:
  rewardmap train --config configs/tiny-cpu.yaml
  rewardmap train --config configs/tiny-cpu.yaml grpo.learning_rate=1e-4 curriculum.preset=coarse
  rewardmap train --config configs/paper-qwen2.5-vl-7b.yaml --config my-cluster.yaml run.output_dir=runs/x
  rewardmap train --config configs/tiny-cpu.yaml grpo.extra.mask_truncated_completions=true run.report_to=[wandb]
  rewardmap train --config configs/tiny-cpu.yaml --resume          # newest checkpoint of run.output_dir
  rewardmap train --config configs/tiny-cpu.yaml --dry-run         # resolved config + curriculum, no training
  for f in configs/ablations/*.yaml; do rewardmap train --config "$f"; done   # sweep the ablations

docs: docs/training.md
"""

SFT_EPILOG = """\
Overrides are BLOCK.FIELD=VALUE with YAML values, applied after the --config files; any other field of TRL's
SFTConfig: sft.extra.FIELD=VALUE.

examples:
  rewardmap sft --config configs/ablations/sft.yaml
  rewardmap sft --config configs/tiny-cpu.yaml sft.max_steps=20 run.output_dir=runs/sft-tiny
  rewardmap sft --config configs/ablations/sft.yaml sft.learning_rate=1e-5 sft.lora.targets=all-linear

docs: docs/training.md (SFT baseline and SFT → RL)
"""

CONFIG_HELP = ("YAML recipe (configs/NAME.yaml); repeat to layer files: later ones override earlier ones, then the "
               "KEY=VALUE overrides (default: all defaults)")
OVERRIDES_HELP = ("BLOCK.FIELD=VALUE overrides with YAML values, e.g. grpo.learning_rate=1e-5 data.types=[planning] "
                  "grpo.extra.FIELD=VALUE")
SFT_OVERRIDES_HELP = ("BLOCK.FIELD=VALUE overrides with YAML values, e.g. sft.max_steps=20 sft.lora.rank=4 "
                      "sft.extra.FIELD=VALUE")


def register(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="multi-stage GRPO with the RewardMap reward on TRL",
                           description="Run a training recipe: data → (SFT →) multi-stage GRPO → report.",
                           epilog=TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("--config", action="append", metavar="FILE", help=CONFIG_HELP)
    train.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help=OVERRIDES_HELP)
    train.add_argument("--resume", nargs="?", const=True, default=False, metavar="CHECKPOINT",
                       help="continue from the newest checkpoint of run.output_dir (or the one given); the config "
                            "must match the checkpoint's")
    train.add_argument("--dry-run", action="store_true",
                       help="print the resolved config and the curriculum, check the TRL fields; train nothing")
    train.add_argument("--engine", choices=("trl", "verl"), default="trl",
                       help="trl (default): train here on TRL; verl: prepare a verl run "
                            "(rewardmap.integrations.verl.launch)")
    train.set_defaults(func=_train)

    sft = sub.add_parser("sft", help="the SFT baseline (TRL SFTTrainer, LoRA) on ReasonMap-Plus training answers",
                         description="The SFT baseline alone: the recipe's data, model and sft blocks.",
                         epilog=SFT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    sft.add_argument("--config", action="append", metavar="FILE", help=CONFIG_HELP)
    sft.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help=SFT_OVERRIDES_HELP)
    sft.set_defaults(func=_sft)



def _stage_lines(result) -> list[str]:
    from rewardmap.training.report import stage_table

    lines = [f"{'stage':<14} {'steps':>7} {'reward':>8} {'zero-std':>9} {'accuracy':>9}"]
    for row in stage_table(result):
        acc = row.get("rewardmap/accuracy", row.get("accuracy/all"))
        lines.append(f"{row['stage']:<14} {row['steps']:>7} {row.get('reward', float('nan')):>8.3f} "
                     f"{row.get('frac_reward_zero_std', float('nan')):>9.3f} "
                     f"{acc if acc is not None else float('nan'):>9.3f}")
    return lines


def _train(args: argparse.Namespace) -> int:
    from rewardmap.training.distributed import process_group_closed

    with process_group_closed():
        return _train_run(args)


def _train_run(args: argparse.Namespace) -> int:
    from rewardmap.training.config import load_config

    overrides = list(args.overrides)
    if isinstance(args.resume, str) and "=" in args.resume and not Path(args.resume).exists():
        overrides.append(args.resume)  # `--resume key=value`: argparse took an override for the checkpoint
        args.resume = True
    config = load_config(args.config, overrides)
    if args.dry_run:
        from rewardmap.training.engines.trl_args import check_trl_fields
        from rewardmap.training.runlog import check_report_to

        check_report_to(config.run.report_to)
        check_trl_fields(config)
        print(config.to_yaml())
        stages = config.curriculum.resolved_stages()
        print("curriculum:", " → ".join(f"{s.name}[{'+'.join(t.value for t in s.types)}]" for s in stages))
        return 0
    from rewardmap.training.recipe import train

    result = train(config, resume=args.resume, engine=args.engine)
    if args.engine != "trl":
        print(result)
        return 0
    if int(os.environ.get("RANK", "0")) != 0:
        return 0
    print("\n".join(_stage_lines(result)))
    print(f"final model: {result.final_model}   metrics: {result.output_dir / 'metrics.jsonl'}   "
          f"report: {result.output_dir / 'report.md'}   tensorboard: {result.output_dir / 'tensorboard'}   "
          f"({result.wall_s:.1f} s)")
    return 0


def _sft(args: argparse.Namespace) -> int:
    from rewardmap.training.distributed import process_group_closed

    with process_group_closed():
        return _sft_run(args)


def _sft_run(args: argparse.Namespace) -> int:
    from rewardmap.training.config import load_config
    from rewardmap.training.engines.trl import resolve_policy_path
    from rewardmap.training.engines.trl_args import check_trl_fields
    from rewardmap.training.inputs import prepare_training_data
    from rewardmap.training.runlog import check_report_to
    from rewardmap.training.sft import run_sft

    config = load_config(args.config, args.overrides)
    check_report_to(config.run.report_to)
    check_trl_fields(config)
    data = prepare_training_data(config.data, config.run.output_dir, progress=config.run.progress)
    result = run_sft(config, data.train, resolve_policy_path(config))
    first, last = (result.losses[0], result.losses[-1]) if result.losses else (float("nan"), float("nan"))
    print(f"SFT: {result.steps} steps, loss {first:.3f} → {last:.3f}, model: {result.model_dir} "
          f"({result.wall_s:.1f} s)")
    return 0
