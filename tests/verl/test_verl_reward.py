"""Our reward through verl's own loader and reward managers, on a real ``DataProto`` built as verl's trainer
builds it (dataset → ``collate_fn`` → ``DataProto.from_single_dict`` → ``repeat(n)`` → rollout tensors), equal to
``rewardmap.scoring`` on the same rows."""

from __future__ import annotations

import asyncio

import pytest

# "verl.protocol", not "verl": tests/verl itself would import as a namespace package "verl"
pytest.importorskip("verl.protocol", reason="verl is not installed here: run `make test-verl` (its own venv)")

import torch
from rollouts import reward_config, rollout_batch
from verl.trainer.ppo.reward import get_custom_reward_fn, load_reward_manager
from verl.workers.reward_manager.naive import NaiveRewardManager as LegacyNaiveRewardManager

from rewardmap.integrations.verl.reward import RESULT_KEYS
from rewardmap.scoring import RewardConfig, score_response

pytestmark = pytest.mark.verl


def test_reward_loop_naive_manager_returns_our_scores_and_components(export, tokenizer):
    batch, texts, infos = rollout_batch(export("--image-mode", "path"), tokenizer, rows=2)
    manager = load_reward_manager(reward_config(), tokenizer)
    assert type(manager).__module__ == "verl.experimental.reward_loop.reward_manager.naive"
    # the manager runs on the event loop it took at construction (as the reward-loop worker does)
    results = manager.loop.run_until_complete(
        asyncio.gather(*(manager.run_single(batch[k:k + 1]) for k in range(len(batch)))))
    expected = [score_response(t, info) for t, info in zip(texts, infos)]
    assert [r["reward_score"] for r in results] == pytest.approx([b.total for b in expected])
    for r, b in zip(results, expected):
        extra = r["reward_extra_info"]
        assert set(RESULT_KEYS) <= set(extra)  # every key is logged; filter_groups.metric=correct reads "correct"
        assert extra["correct"] == float(b.correct) and extra["weight"] == pytest.approx(b.weight)
        assert extra["detail"] == pytest.approx(b.detail) and extra["format"] == pytest.approx(b.format)
    assert any(b.correct for b in expected) and not all(b.correct for b in expected)
    assert len({b.weight for b in expected}) > 1  # rows of several difficulties
    rm = manager.assemble_rm_scores(batch, [r["reward_score"] for r in results])
    assert rm.sum(-1).tolist() == pytest.approx([b.total for b in expected])


def test_legacy_naive_manager_on_a_batch_puts_our_total_on_the_last_response_token(export, tokenizer):
    batch, texts, infos = rollout_batch(export("--image-mode", "bytes"), tokenizer, rows=1)
    manager = LegacyNaiveRewardManager(tokenizer, num_examine=0, compute_score=get_custom_reward_fn(reward_config()))
    out = manager(batch, return_dict=True)
    expected = [score_response(t, info) for t, info in zip(texts, infos)]
    tensor = out["reward_tensor"]
    assert tensor.sum(-1).tolist() == pytest.approx([b.total for b in expected])
    last = batch.batch["attention_mask"][:, 8:].sum(-1) - 1
    assert tensor[torch.arange(len(batch)), last].tolist() == pytest.approx([b.total for b in expected])
    assert out["reward_extra_info"]["correct"] == [float(b.correct) for b in expected]


def test_reward_kwargs_preset_from_hydra_config_reaches_the_reward(export, tokenizer):
    _, texts, infos = rollout_batch(export("--image-mode", "path"), tokenizer, rows=1)
    preset = {"preset": "paper", "alpha": 0.3, "gamma": [1.0, 1.1, 1.2]}
    fn = get_custom_reward_fn(reward_config(preset))
    got = [fn(data_source="reasonmap", solution_str=t, ground_truth=str(info["answer"]), extra_info=info)["score"]
           for t, info in zip(texts, infos)]
    cfg = RewardConfig.from_dict(preset)
    assert got == pytest.approx([score_response(t, info, cfg).total for t, info in zip(texts, infos)])
    assert got != pytest.approx([score_response(t, info).total for t, info in zip(texts, infos)])
