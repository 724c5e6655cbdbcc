"""A stage-ordered ``RLHFDataset`` for verl's ``data.custom_cls`` (verl ≥ 0.9; imports verl, load it from verl).

verl has no curriculum sampler any more (``data.sampler.class_path`` was removed upstream); ordering is
``data.shuffle=false`` plus ordered rows. This class reads the parquet file as verl's own ``RLHFDataset`` does
(same filtering, same ``__getitem__``), then reorders the rows into our curriculum plan — the seeded stages of
:func:`rewardmap.training.curriculum.plan_curriculum`, computed from each row's ``extra_info`` (``type``,
``index``; ``stage`` is cross-checked when the export wrote it) — and adds ``extra_info["stage"]`` to every item.

verl config (Hydra overrides)::

    data.custom_cls.path=$(python -c 'import rewardmap.integrations.verl as v; print(v.DATASET_FILE)')
    data.custom_cls.name=CurriculumRLHFDataset
    data.shuffle=false
    +data.rewardmap_curriculum.preset=rewardmap      # or .stages=[...]; .seed=0; .epochs_per_stage=1
                                                     # .prompts_per_step defaults to data.train_batch_size

``import rewardmap.integrations.verl`` does not import this module (nor verl): verl loads it by path.
"""

from __future__ import annotations

from verl.utils.dataset.rl_dataset import RLHFDataset

from rewardmap.integrations.verl.order import CurriculumOrder, curriculum_positions, read_settings

#: The config block of the curriculum under ``data``.
CONFIG_KEY = "rewardmap_curriculum"


class CurriculumRLHFDataset(RLHFDataset):
    """verl's ``RLHFDataset`` with its rows in our curriculum order (see the module doc).

    ``curriculum`` is the :class:`~rewardmap.integrations.verl.order.CurriculumOrder` applied: ``spans`` gives each
    stage's positions in this dataset, ``stage_names[i]`` the stage of item ``i``."""

    curriculum: CurriculumOrder

    def _read_files_and_tokenize(self):
        super()._read_files_and_tokenize()
        stages, pps, seed = read_settings(self.config.get(CONFIG_KEY),
                                          default_prompts_per_step=self.config.get("train_batch_size"))
        self.curriculum = curriculum_positions(self.dataframe["extra_info"], stages, prompts_per_step=pps,
                                               seed=seed)
        self.dataframe = self.dataframe.select(list(self.curriculum.positions))

    def __getitem__(self, item):
        row = super().__getitem__(item)
        row["extra_info"] = {**row["extra_info"], "stage": self.curriculum.stage_names[item]}
        return row
