"""``rewardmap verl …``: the verl kit from the command line (no verl needed here).

* ``rewardmap verl paths`` — the reward file, the dataset class file and the recipes folder (for Hydra overrides);
* ``rewardmap verl prepare --config X [--out DIR] [KEY=VALUE …]`` — :func:`~.launch.prepare_run` (what
  ``rewardmap train --engine verl`` does), with a choice of recipe and image mode.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    verl = sub.add_parser("verl", help="the verl engine kit: file paths, prepare a verl run")
    actions = verl.add_subparsers(dest="verl_action", metavar="ACTION", required=True)
    paths = actions.add_parser("paths", help="print the reward file, dataset class file and recipes folder")
    paths.set_defaults(func=_paths)
    prep = actions.add_parser("prepare", help="write the parquet, the Hydra config and the launch script of a run",
                              description="Training config (+ BLOCK.FIELD=VALUE overrides) → OUT/verl/"
                                          "{train.parquet, rewardmap_run.yaml, launch.sh}. Nothing is launched.")
    prep.add_argument("--config", help="YAML recipe (configs/NAME.yaml); default: all defaults")
    prep.add_argument("--out", help="output folder (default: run.output_dir)")
    prep.add_argument("--recipe", help="verl recipe in the kit (default: by model size, rewardmap_qwen25vl_7b|3b)")
    prep.add_argument("--image-mode", choices=("path", "bytes"), default="path",
                      help="maps as paths (read where verl runs) or inside the parquet")
    prep.add_argument("--python", default="python3", help="the interpreter of the launch command")
    prep.add_argument("overrides", nargs="*", metavar="KEY=VALUE")
    prep.set_defaults(func=_prepare)


def _paths(args: argparse.Namespace) -> int:
    from rewardmap.integrations.verl import DATASET_FILE, RECIPES_DIR, REWARD_FILE

    print(f"reward.custom_reward_function.path={REWARD_FILE}")
    print(f"data.custom_cls.path={DATASET_FILE}")
    print(f"recipes={RECIPES_DIR}")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from rewardmap.integrations.verl.launch import prepare_run
    from rewardmap.training.config import load_config

    cfg = load_config(args.config, args.overrides)
    run = prepare_run(cfg, args.out or cfg.run.output_dir, recipe=args.recipe, image_mode=args.image_mode,
                      python=args.python)
    print(run)
    return 0
