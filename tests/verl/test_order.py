"""The pure ordering behind ``CurriculumRLHFDataset`` (no verl: runs under ``make test`` too)."""

from __future__ import annotations

import random

import pytest

from rewardmap.errors import ConfigError, DataError
from rewardmap.integrations.verl.order import curriculum_positions, read_settings
from rewardmap.training.curriculum import plan_curriculum, preset_stages

TYPES = ["TorF1", "Counting1", "planning", "TorF2", "Counting2", "Counting3"] * 7


def _infos(order):
    return [{"index": i, "type": TYPES[i]} for i in order]


def test_positions_follow_the_plan_whatever_the_file_order():
    stages = preset_stages("rewardmap")
    plan = [r for p in plan_curriculum(TYPES, stages, prompts_per_step=4, seed=9) for r in p.rows]
    shuffled = list(range(len(TYPES)))
    random.Random(1).shuffle(shuffled)
    for file_order in (list(range(len(TYPES))), shuffled):
        infos = _infos(file_order)
        got = curriculum_positions(infos, stages, prompts_per_step=4, seed=9)
        assert [infos[p]["index"] for p in got.positions] == plan
        assert [s.name for s in got.spans] == ["torf", "counting23", "counting1", "planning"]
        assert got.spans[-1].end == len(plan)


def test_a_row_repeated_in_the_file_counts_once_and_bad_rows_are_named():
    infos = _infos(range(len(TYPES)))
    once = curriculum_positions(infos, preset_stages("coarse"), prompts_per_step=2).positions
    assert curriculum_positions(infos + infos[:5], preset_stages("coarse"), prompts_per_step=2).positions == once
    with pytest.raises(DataError, match=r"extra_info\.type"):
        curriculum_positions([{"index": 0}], preset_stages("coarse"), prompts_per_step=1)
    with pytest.raises(ConfigError, match="exported in stage 'torf'"):
        curriculum_positions([{**i, "stage": "torf"} for i in infos], preset_stages("coarse"), prompts_per_step=2)


def test_settings_block():
    stages, pps, seed = read_settings({"preset": "fine", "seed": 4}, default_prompts_per_step=16)
    assert (len(stages), pps, seed) == (6, 16, 4)
    with pytest.raises(ConfigError, match="unknown field"):
        read_settings({"presets": "fine"}, default_prompts_per_step=16)
