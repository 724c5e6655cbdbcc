"""The ablation table and verdict: aggregates recomputed by hand from per-run numbers, and each verdict status on
numbers chosen to produce it."""

from __future__ import annotations

import statistics

from rewardmap.experiments.ablation import RunOutcome
from rewardmap.experiments.table import aggregate, run_metrics, verdict


def _evaluation(plus_acc: float, short_acc: float, short_map: float = 0.0) -> dict:
    plus = {"overall": {"acc": plus_acc}, "by_type": {"TorF1": {"acc": plus_acc}}}
    plan = {"short": {"acc": short_acc, "map": short_map}, "long": {"acc": 0.0, "map": 0.0}}
    return {"reasonmap-plus": plus, "reasonmap": plan}


def _run(recipe, seed, plus, short, zero_std=(0.5,), reward=(1.0,)):
    return RunOutcome(recipe=recipe, seed=seed, evaluation=_evaluation(plus, short),
                      curves={"frac_reward_zero_std": list(zero_std), "reward": list(reward)}, stages=[], wall_s=0)


def test_aggregate_is_mean_and_sample_std_over_seeds():
    runs = [_run("rewardmap", s, p, a) for s, (p, a) in enumerate([(0.5, 0.1), (0.7, 0.2), (0.6, 0.6)])]
    t = aggregate(runs)["rewardmap"]
    assert abs(t["plus_acc"]["mean"] - 0.6) < 1e-12
    assert abs(t["short_acc"]["std"] - statistics.stdev([0.1, 0.2, 0.6])) < 1e-12
    assert t["short_acc"]["n"] == 3


def test_final_reward_is_the_last_quarter_and_zero_std_the_mean_over_steps():
    m = run_metrics(_evaluation(0, 0), {"reward": [0, 0, 0, 0, 0, 0, 4, 8], "frac_reward_zero_std": [1, 0, None, 0.5]})
    assert m["final_reward"] == 6.0
    assert m["zero_std"] == 0.5


def test_verdict_statuses():
    runs = ([_run("rewardmap", s, 0.6, a, zero_std=(0.2,)) for s, a in enumerate([0.50, 0.52])]
            + [_run("reward-design", s, 0.6, a) for s, a in enumerate([0.48, 0.52])]  # 0.50: below, inside the spread
            + [_run("rl-baseline", s, 0.6, a) for s, a in enumerate([0.60, 0.62])]     # above RewardMap
            + [_run("rl-planning", s, 0.6, a, zero_std=(0.9,)) for s, a in enumerate([0.1, 0.11])])
    status = {(c["a"], c["b"], c["metric"]): c["status"] for c in verdict(aggregate(runs))}
    assert status["rewardmap", "reward-design", "short_acc"] == "within spread"
    assert status["reward-design", "rl-baseline", "short_acc"] == "not held"
    assert status["rewardmap", "rl-planning", "short_acc"] == "held"
    assert status["rewardmap", "rl-planning", "plus_acc"] == "tie"  # 0.6 and 0.6
    assert status["rewardmap", "rl-planning", "zero_std"] == "held"
    assert not any("multi-stage" in key for key in status)  # recipes that did not run make no claim


def test_what_moved_uses_two_standard_errors_of_the_difference():
    from rewardmap.experiments.ablation import RECIPES
    from rewardmap.experiments.table import what_moved

    up = aggregate([_run("rewardmap", 0, 0.60, 0.0)])    # 0.50 → 0.60 on 1000 questions: 4.5 SE
    same = aggregate([_run("rl-baseline", 0, 0.52, 0.0)])  # 0.50 → 0.52: 0.9 SE
    recipes = [r for r in RECIPES if r.name in ("rewardmap", "rl-baseline")]
    lines = what_moved(up | same, {"plus_acc": 0.5}, {"plus_acc": 1000}, recipes)
    by = {line.split("**")[1]: line for line in lines}
    rm = next(r.label for r in recipes if r.name == "rewardmap")
    bl = next(r.label for r in recipes if r.name == "rl-baseline")
    assert "up beyond noise: Plus acc 0.500 → 0.600" in by[rm]
    assert "no accuracy rose beyond noise" in by[bl] and "within noise (2 SE): Plus acc 0.500 → 0.520" in by[bl]


def test_constant_answer_floor_is_the_training_majority_scored_on_held_out_rows():
    from rewardmap.experiments.table import constant_answer_rates

    train = [("TorF1", 1), ("TorF1", 1), ("TorF1", 0), ("Counting2", "1"), ("Counting2", 2), ("Counting2", 1),
             ("planning", "route")]
    test = [("TorF1", 1), ("TorF1", 0), ("TorF1", 0), ("TorF1", 0), ("Counting2", 1), ("planning", "route")]
    rates = constant_answer_rates(train, test)
    assert rates["plus_TorF1"] == 0.25           # "1" is the training majority; one of four held-out rows
    assert rates["plus_Counting2"] == 1.0        # 1 and "1" are the same answer
    assert rates["plus_acc"] == 2 / 5            # planning rows are not Plus questions
    assert "plus_planning" not in rates
