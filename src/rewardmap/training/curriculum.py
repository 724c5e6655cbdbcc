"""The multi-stage curriculum, as training uses it: stages, presets, the seeded plan and the resumable sampler.

Defined in :mod:`rewardmap.data.curriculum` (the exporters order rows by it too, and ``data`` sits below
``training``); this module is its training-side name.
"""

from rewardmap.data.curriculum import (
    PRESETS,
    CurriculumSampler,
    Stage,
    StagePlan,
    check_reward_preset,
    curriculum_order,
    plan_curriculum,
    preset_stages,
    stages_from_config,
)

__all__ = ["PRESETS", "CurriculumSampler", "Stage", "StagePlan", "check_reward_preset", "curriculum_order",
           "plan_curriculum", "preset_stages", "stages_from_config"]
