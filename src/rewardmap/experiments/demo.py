"""``rewardmap demo``: the paper's headline comparison, small enough for a laptop CPU in minutes.

The ablation's ``demo`` budget (:data:`rewardmap.experiments.ablation.BUDGETS`): a miniature world of ``mini``
cities, a tiny Qwen2.5-VL pre-trained on generic map reading of other cities (the stand-in for an instruct model),
then two recipes from that one checkpoint with the same step budget — the RL baseline on route planning alone
(sparse rewards) and RewardMap (perception questions, the detail reward, the multi-stage curriculum) — each
evaluated on held-out cities. The report (``ablation.md`` / ``.html``) shows the reward and zero-std curves of both
and says, computed from the numbers, what moved beyond noise and what did not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from rewardmap.experiments.ablation import BUDGETS, run_ablation


def run_demo(out_dir: str | Path = "runs/demo", *, seed: int = 0, steps: int | None = None, progress: bool = True,
             log: Callable[[str], None] = print) -> dict:
    """Run (or resume) the demo under ``out_dir``; returns the ablation document (``ablation.json``'s content).
    ``steps``: GRPO steps per recipe (default: the demo budget's; a multiple of 4, the curriculum's stages)."""
    budget = replace(BUDGETS["demo"], seeds=(seed,), world_seed=seed)
    if steps is not None:
        budget = replace(budget, steps=steps)
    return run_ablation(out_dir, budget, log=log, progress=progress)
