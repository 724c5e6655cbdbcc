"""A GRPO run on the stand-in dataset as its own process, for the kill -9 / resume and torchrun tests.

    python tests/training/grpo_script.py OUT TINY_DIR [--resume] [KEY=VALUE ...]
    torchrun --nproc_per_node 2 tests/training/grpo_script.py OUT TINY_DIR [...]

The reward is :func:`char_reward` (completion length / 10: a random policy cannot make it constant, so every
step has non-zero advantages and moves the weights and AdamW's moments).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from standin import stand_in_dataset


def char_reward(completions, **kwargs):
    """Characters in the completion / 10."""
    return [len(c[0]["content"]) / 10 for c in completions]


def recording_char_reward(out: Path):
    """:func:`char_reward` that also appends, per call, this process's step and the dataset row of every completion
    it scores to ``out/received-rank<R>.jsonl`` (what GRPOTrainer handed this process)."""
    import json
    import os

    path = out / f"received-rank{os.environ.get('RANK', '0')}.jsonl"
    stall = int(os.environ.get("RM_TEST_STALL_AT_STEP", "0"))  # stall (to be killed) once this many steps are done

    def char_reward_recorded(completions, **kwargs):
        from rewardmap.training.engines.trl import ROW_ID

        with path.open("a") as f:
            f.write(json.dumps({"step": kwargs["trainer_state"].global_step, "rows": list(kwargs[ROW_ID])}) + "\n")
        if stall and kwargs["trainer_state"].global_step >= stall:
            import time

            time.sleep(600)  # the test kills the run here: its newest checkpoint is the one of step `stall`
        return char_reward(completions)

    return char_reward_recorded


#: The run the exact-resume tests compare: 2 stages × 3 steps, a warm-up then linear decay (a non-constant
#: learning rate), a checkpoint after every step.
RESUME_RUN = ("grpo.num_generations=2", "grpo.prompts_per_step=2", "grpo.max_completion_length=8",
              "grpo.learning_rate=1e-3", "grpo.beta=0.0", "grpo.lr_scheduler_type=linear", "grpo.warmup_ratio=0.34",
              "curriculum.preset=coarse", "curriculum.steps_per_stage=3", "data.max_pixels=12544",
              "run.report_to=[]", "run.progress=false", "run.save_every=1", "run.keep_checkpoints=10")


def config(out, tiny_dir, *extra):
    from rewardmap.training.config import load_config

    return load_config(None, [f"run.output_dir={out}", f"model.tiny_cache={tiny_dir}", *RESUME_RUN, *extra])


def main(argv: list[str]) -> int:
    from rewardmap.training.engines.trl import run_grpo

    out, tiny, *rest = argv
    resume = "--resume" in rest
    extra = [a for a in rest if a != "--resume"]
    reward = recording_char_reward(Path(out))
    from rewardmap.training.distributed import process_group_closed

    with process_group_closed():
        run_grpo(config(out, tiny, *extra), stand_in_dataset(per_type=4), lambda preset: ([reward], None),
                 resume=resume)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
