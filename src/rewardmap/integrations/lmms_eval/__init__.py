"""lmms-eval tasks ``reasonmap`` (``reasonmap_short`` + ``reasonmap_long``) and ``reasonmap_plus``, scored with
:mod:`rewardmap.scoring` — the same prompts, images and numbers as ``rewardmap eval``.

Use the folder with lmms-eval's ``--include_path`` (not ``LMMS_EVAL_PLUGINS``: ``rewardmap.tasks`` is taken)::

    export REWARDMAP_LMMS_DATA=data/rm     # a `rewardmap data build` root (reasonmap/, reasonmap-plus/, maps/, …)
    python -m lmms_eval eval --include_path "$(python -m rewardmap.integrations.lmms_eval)" \\
        --tasks reasonmap,reasonmap_plus --model openai --model_args model_version=…,base_url=…

The task files (``*.yaml`` + ``utils.py``) import lmms-eval; this module does not.
"""

from __future__ import annotations

from pathlib import Path

#: The folder to pass to ``--include_path``.
TASKS_DIR = Path(__file__).resolve().parent

#: The environment variable naming the dataset root the tasks read.
DATA_ENV = "REWARDMAP_LMMS_DATA"

__all__ = ["DATA_ENV", "TASKS_DIR"]
