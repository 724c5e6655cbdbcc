from __future__ import annotations

import pytest

from rewardmap.errors import ConfigError
from rewardmap.tasks.types import TaskType
from rewardmap.training.curriculum import (
    CurriculumSampler,
    Stage,
    curriculum_order,
    plan_curriculum,
    preset_stages,
    stages_from_config,
)

TYPES = ["TorF1", "TorF2", "Counting1", "Counting2", "Counting3", "planning"] * 5 + ["TorF1"] * 3


def test_presets_partition_the_task_types_as_released():
    rm = preset_stages("rewardmap")
    assert [[t.value for t in s.types] for s in rm] == [["TorF1", "TorF2"], ["Counting2", "Counting3"], ["Counting1"],
                                                       ["planning"]]
    assert [len(s.types) for s in preset_stages("coarse")] == [5, 1]
    assert [s.types[0].value for s in preset_stages("fine")] == ["TorF1", "TorF2", "Counting3", "Counting2",
                                                                 "Counting1", "planning"]
    assert set(preset_stages("shuffled")[0].types) == set(TaskType)
    with pytest.raises(ConfigError, match=r"curriculum\.preset"):
        preset_stages("easy-first")


def test_one_epoch_plan_is_seeded_stage_pure_and_drops_the_incomplete_step():
    plans = plan_curriculum(TYPES, preset_stages("rewardmap"), prompts_per_step=4, seed=7)
    assert [p.stage.name for p in plans] == ["torf", "counting23", "counting1", "planning"]
    for p in plans:
        assert {TYPES[r] for r in p.rows} <= {t.value for t in p.stage.types}
        assert len(p.rows) == p.steps * 4 and len(set(p.rows)) == len(p.rows)
    assert len(plans[0].rows) == 12  # 13 TorF rows → 3 full steps of 4 (drop_last, as the released sampler)
    again = plan_curriculum(TYPES, preset_stages("rewardmap"), prompts_per_step=4, seed=7)
    other = plan_curriculum(TYPES, preset_stages("rewardmap"), prompts_per_step=4, seed=8)
    assert [p.rows for p in again] == [p.rows for p in plans]
    assert [p.rows for p in other] != [p.rows for p in plans]


def test_steps_mode_cycles_and_an_explicit_stage_seed_fixes_the_order():
    stages = (Stage("torf", (TaskType.TORF1,), steps=5, seed=3),)
    a = plan_curriculum(TYPES, stages, prompts_per_step=2, seed=0)[0]
    b = plan_curriculum(TYPES, stages, prompts_per_step=2, seed=99)[0]
    assert a.rows == b.rows and a.steps == 5 and len(a.rows) == 10  # 8 TorF1 rows cycled to 10
    assert {TYPES[r] for r in a.rows} == {"TorF1"}


def test_sampler_state_dict_resumes_at_the_same_sample_across_stages():
    stages = preset_stages("coarse", steps=3)
    full = CurriculumSampler.from_dataset_types(TYPES, stages, prompts_per_step=2, seed=1)
    expected = [(plan.stage.name, rows) for plan, _, rows in full]
    assert len(expected) == 6 and full.done
    first = CurriculumSampler.from_dataset_types(TYPES, stages, prompts_per_step=2, seed=1)
    for _ in range(4):
        next(iter(first))
    state = first.state_dict()
    assert state["global_step"] == 4 and state["stage_name"] == "planning"
    resumed = CurriculumSampler.from_dataset_types(TYPES, stages, prompts_per_step=2, seed=1)
    resumed.load_state_dict(state)
    assert [(p.stage.name, rows) for p, _, rows in resumed] == expected[4:]
    different = CurriculumSampler.from_dataset_types(TYPES, stages, prompts_per_step=2, seed=2)
    with pytest.raises(ConfigError, match="does not match"):
        different.load_state_dict(state)


def test_stages_from_yaml_mapping_and_errors_name_the_field():
    stages = stages_from_config({"stages": [{"name": "perception", "types": ["torf1", "TorF2"], "steps": 2,
                                             "reward": "baseline", "seed": 5},
                                            {"name": "plan", "types": "planning", "epochs": 2}]})
    assert stages[0].types == (TaskType.TORF1, TaskType.TORF2) and stages[0].reward == "baseline"
    assert stages[1].types == (TaskType.PLANNING,) and stages[1].epochs == 2.0
    with pytest.raises(ConfigError, match=r"stages\[0\]\.types"):
        stages_from_config({"stages": [{"types": ["Counting9"]}]})
    with pytest.raises(ConfigError, match="unknown field"):
        stages_from_config({"stages": [{"types": ["TorF1"], "step": 3}]})


def test_a_stage_smaller_than_one_step_is_skipped_not_blocking_later_stages():
    types = ["TorF1"] * 8 + ["Counting3"] * 1 + ["planning"] * 4
    plans = plan_curriculum(types, preset_stages("fine"), prompts_per_step=2, seed=0)
    assert [p.stage.name for p in plans] == ["torf1", "planning"]
    sampler = CurriculumSampler(plans, 2)
    assert [p.stage.name for p, _, _ in sampler] == ["torf1"] * 4 + ["planning"] * 2
    with pytest.raises(ConfigError, match="fewer than one step"):
        plan_curriculum(types, preset_stages("fine")[2:3], prompts_per_step=2, skip_empty=False)


def test_curriculum_order_flattens_the_plan_for_pre_ordered_engines():
    order = curriculum_order(TYPES, preset_stages("rewardmap"), prompts_per_step=4, seed=7)
    plans = plan_curriculum(TYPES, preset_stages("rewardmap"), prompts_per_step=4, seed=7)
    assert order == [r for p in plans for r in p.rows]
    kinds = [TYPES[r] for r in order]
    first_planning = kinds.index("planning")
    assert set(kinds[:kinds.index("Counting1")]) <= {"TorF1", "TorF2", "Counting2", "Counting3"}
    assert set(kinds[first_planning:]) == {"planning"}
