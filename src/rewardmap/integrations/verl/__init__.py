"""The verl engine kit: reward function file, stage-ordered dataset class, recipes and run preparation.

* :mod:`.reward` — ``compute_score`` for ``reward.custom_reward_function`` (file: :data:`REWARD_FILE`).
* :mod:`.dataset` — ``CurriculumRLHFDataset`` for ``data.custom_cls`` (file: :data:`DATASET_FILE`; imports verl,
  so it is loaded by verl, never by this package).
* :mod:`.order` — the curriculum order of an exported file's rows (pure Python).
* ``recipes/`` — Hydra configs + launch scripts of the paper's runs (:data:`RECIPES_DIR`).
* :mod:`.launch` — ``prepare_run(config, out_dir)``: parquet + config + the exact command.

``import rewardmap.integrations.verl`` imports neither torch nor verl.
"""

from __future__ import annotations

from pathlib import Path

from .reward import compute_score

_HERE = Path(__file__).resolve().parent
#: ``reward.custom_reward_function.path``.
REWARD_FILE = _HERE / "reward.py"
#: ``data.custom_cls.path`` (class ``CurriculumRLHFDataset``).
DATASET_FILE = _HERE / "dataset.py"
#: The shipped recipes (Hydra configs and launch scripts).
RECIPES_DIR = _HERE / "recipes"

__all__ = ["DATASET_FILE", "RECIPES_DIR", "REWARD_FILE", "compute_score"]
