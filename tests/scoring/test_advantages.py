"""The difficulty-weight trap (issue 3 item 9): GRPO's std normalisation cancels a per-prompt reward weight."""

from __future__ import annotations

import pytest

from rewardmap.errors import RewardMapError
from rewardmap.scoring import group_advantages

REWARDS = [0.0, 10.0, 10.5, 0.0, -1.5, 10.0, 0.0, 0.0]  # two groups of 4
WEIGHTS = [1.0, 2.0]  # one per group (the same W for every rollout of a prompt)


def test_reward_scaling_is_cancelled_by_std_normalisation():
    plain = group_advantages(REWARDS, 4, scale="none")
    weighted = group_advantages(REWARDS, 4, weights=WEIGHTS, scale="reward")
    assert weighted == pytest.approx(plain, abs=1e-6)
    # ...so the hard prompt's rollouts get no more push than the easy prompt's
    assert max(map(abs, weighted[4:])) == pytest.approx(max(map(abs, plain[4:])), abs=1e-6)


def test_advantage_scaling_survives_normalisation():
    plain = group_advantages(REWARDS, 4, scale="none")
    scaled = group_advantages(REWARDS, 4, weights=WEIGHTS, scale="advantage")
    assert scaled[:4] == pytest.approx(plain[:4])
    assert scaled[4:] == pytest.approx([2.0 * a for a in plain[4:]])
    assert scaled[4:] != pytest.approx(plain[4:], abs=1e-3)


def test_reward_scaling_matters_only_without_std_normalisation():
    centred = group_advantages(REWARDS, 4, weights=WEIGHTS, scale="reward", normalize_std=False)
    plain = group_advantages(REWARDS, 4, scale="none", normalize_std=False)
    assert centred[4:] == pytest.approx([2.0 * a for a in plain[4:]])
    assert sum(centred[:4]) == pytest.approx(0.0)


def test_batch_relative_advantage_scaling_keeps_the_mean_scale():
    scaled = group_advantages(REWARDS, 4, weights=WEIGHTS, scale="advantage_batch")
    plain = group_advantages(REWARDS, 4, scale="none")
    assert scaled[:4] == pytest.approx([a / 1.5 for a in plain[:4]])
    assert scaled[4:] == pytest.approx([a * 2.0 / 1.5 for a in plain[4:]])


def test_group_statistics_match_verl():
    # unbiased std, eps 1e-6; a constant group has zero advantages; a group of one gets mean 0, std 1
    adv = group_advantages([1.0, 3.0], 2)
    assert adv == pytest.approx([-1 / (2 ** 0.5 + 1e-6), 1 / (2 ** 0.5 + 1e-6)])
    assert group_advantages([5.0, 5.0, 5.0], 3) == [0.0, 0.0, 0.0]
    assert group_advantages([3.0], 1) == pytest.approx([3.0 / (1 + 1e-6)])


def test_bad_shapes_raise():
    with pytest.raises(RewardMapError):
        group_advantages([1.0, 2.0, 3.0], 2)
    with pytest.raises(RewardMapError):
        group_advantages([1.0, 2.0], 2, weights=[1.0, 2.0, 3.0])
    with pytest.raises(RewardMapError):
        group_advantages([1.0, 2.0], 2, scale="sometimes")
