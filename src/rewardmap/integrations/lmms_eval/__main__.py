"""``python -m rewardmap.integrations.lmms_eval`` prints the task folder (for ``--include_path``)."""

from rewardmap.integrations.lmms_eval import TASKS_DIR

print(TASKS_DIR)
