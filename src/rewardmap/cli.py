"""The ``rewardmap`` command: one subcommand per job.

Each subsystem contributes its subcommands from its own ``commands`` module (``register(subparsers)``), so the
front door stays small and every job lives next to the code it runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from rewardmap import __version__
from rewardmap.errors import RewardMapError

#: Modules that provide ``register(subparsers)``; a module that does not exist yet is skipped.
COMMAND_MODULES = (
    "rewardmap.metro.commands",
    "rewardmap.synth.commands",
    "rewardmap.data.commands",
    "rewardmap.evaluation.commands",
    "rewardmap.training.commands",
    "rewardmap.integrations.verl.commands",
    "rewardmap.experiments.commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rewardmap",
        description="RewardMap: metro-map reasoning data, difficulty-aware rewards, multi-stage GRPO, evaluation.")
    parser.add_argument("--version", action="version", version=f"rewardmap {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except RewardMapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
