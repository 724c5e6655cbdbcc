"""``data.custom_cls`` = our ``CurriculumRLHFDataset``, loaded and iterated by verl's own factory, sampler and
dataloader, walks our curriculum plan (``rewardmap.training.curriculum.plan_curriculum``) step by step."""

from __future__ import annotations

import pytest

# "verl.protocol", not "verl": tests/verl itself would import as a namespace package "verl"
pytest.importorskip("verl.protocol", reason="verl is not installed here: run `make test-verl` (its own venv)")

from torch.utils.data import SequentialSampler
from torchdata.stateful_dataloader import StatefulDataLoader
from verl.trainer.ppo.utils import create_rl_dataset, create_rl_sampler
from verl.utils.dataset.rl_dataset import collate_fn

from conftest import data_config
from rewardmap.errors import ConfigError
from rewardmap.integrations.verl import DATASET_FILE
from rewardmap.training.curriculum import plan_curriculum, preset_stages

pytestmark = pytest.mark.verl
BATCH = 8


def _source_types(built) -> list[str]:
    import datasets

    return datasets.load_from_disk(str(built / "reasonmap-train"))["train"]["type"]


def _verl_order(path, tokenizer, **curriculum) -> tuple[list[int], list[str], object]:
    """(extra_info.index, stage) of every item in the order verl's trainer dataloader yields them."""
    cfg = data_config(custom_cls={"path": str(DATASET_FILE), "name": "CurriculumRLHFDataset"}, shuffle=False,
                      image_key="no_images", train_batch_size=BATCH,
                      rewardmap_curriculum=curriculum or None)
    ds = create_rl_dataset(str(path), cfg, None, None)
    assert type(ds).__name__ == "CurriculumRLHFDataset"
    sampler = create_rl_sampler(cfg, ds)
    assert isinstance(sampler, SequentialSampler)
    loader = StatefulDataLoader(ds, batch_size=BATCH, sampler=sampler, collate_fn=collate_fn, drop_last=True,
                                num_workers=0)  # as verl's v1 trainer_base._init_dataloader builds it
    index, stage = [], []
    for batch in loader:
        index += [int(e["index"]) for e in batch["extra_info"]]
        stage += [e["stage"] for e in batch["extra_info"]]
    return index, stage, ds


@pytest.mark.parametrize("flags", [("--curriculum", "rewardmap", "--seed", "3"), ("--curriculum", "none")],
                         ids=["exported-in-curriculum-order", "exported-in-dataset-order"])
def test_custom_cls_order_is_our_curriculum_plan(export, built, tokenizer, flags):
    index, stage, ds = _verl_order(export(*flags), tokenizer, preset="rewardmap", seed=3)
    plans = plan_curriculum(_source_types(built), preset_stages("rewardmap"), prompts_per_step=BATCH, seed=3)
    assert index == [r for p in plans for r in p.rows]
    assert stage == [p.stage.name for p in plans for _ in p.rows]
    assert [s.name for s in ds.curriculum.spans] == ["torf", "counting23", "counting1", "planning"]
    assert stage[0] == "torf" and stage[-1] == "planning"


def test_the_seed_changes_the_order_within_stages_only(export, built, tokenizer):
    path = export("--curriculum", "none")
    a, stage_a, _ = _verl_order(path, tokenizer, seed=0)
    b, stage_b, _ = _verl_order(path, tokenizer, seed=1)
    assert a != b and stage_a == stage_b  # same stage spans, another shuffle inside each


def test_steps_per_stage_and_explicit_stages_are_honoured(export, built, tokenizer):
    stages = [{"name": "plus", "types": ["TorF1", "TorF2", "Counting1", "Counting2", "Counting3"], "steps": 3},
              {"name": "planning", "types": ["planning"], "steps": 2}]
    index, stage, _ = _verl_order(export("--curriculum", "none"), tokenizer, stages=stages, seed=5)
    from rewardmap.training.curriculum import Stage

    plans = plan_curriculum(_source_types(built), [Stage.from_mapping(s, i) for i, s in enumerate(stages)],
                            prompts_per_step=BATCH, seed=5)
    assert index == [r for p in plans for r in p.rows] and len(index) == 5 * BATCH
    assert stage == ["plus"] * 3 * BATCH + ["planning"] * 2 * BATCH


def test_a_file_exported_with_another_curriculum_is_refused(export, tokenizer):
    with pytest.raises(ConfigError, match="exported in stage 'plus'"):
        _verl_order(export("--curriculum", "coarse"), tokenizer, preset="rewardmap")
