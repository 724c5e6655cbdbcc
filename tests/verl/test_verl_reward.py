"""Our reward through verl's own loader and reward managers, on a real ``DataProto`` built as verl's trainer
builds it (dataset → ``collate_fn`` → ``DataProto.from_single_dict`` → ``repeat(n)`` → rollout tensors), equal to
``rewardmap.scoring`` on the same rows."""

from __future__ import annotations

import asyncio

import pytest

# "verl.protocol", not "verl": tests/verl itself would import as a namespace package "verl"
pytest.importorskip("verl.protocol", reason="verl is not installed here: run `make test-verl` (its own venv)")

import torch
from omegaconf import OmegaConf
from verl.trainer.ppo.reward import get_custom_reward_fn, load_reward_manager
from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn
from verl.workers.reward_manager.naive import NaiveRewardManager as LegacyNaiveRewardManager

from conftest import data_config
from rewardmap.integrations.verl import REWARD_FILE
from rewardmap.integrations.verl.reward import RESULT_KEYS
from rewardmap.scoring import RewardConfig, score_response
from verl import DataProto

pytestmark = pytest.mark.verl
N = 3  # rollouts per prompt


def responses_for(info: dict) -> list[str]:
    """A right answer, a wrong one, and junk — per task type."""
    t, a = info["type"], info["answer"]
    if t in ("TorF1", "TorF2"):
        right, wrong = ("yes", "no") if a == 1 else ("no", "yes")
        return [f"\\boxed{{{right}}}", f"The answer is \\boxed{{{wrong}}}", "I cannot tell."]
    if t == "Counting1":
        return [f"\\boxed{{{'ABCD'[a]}}}", f"\\boxed{{{'ABCD'[(a + 1) % 4]}}}", "\\boxed{E}"]
    if t in ("Counting2", "Counting3"):
        return [f"\\boxed{{{a}}}", f"\\boxed{{{a + 1}}}", "many"]
    route = (f"Route Name: Line 1\nDeparture Stop: {info['station_1']}\nArrival Stop: {info['station_2']}")
    return [route, f"Route Name: Nowhere\nDeparture Stop: {info['station_1']}\nArrival Stop: X", ""]


def reward_config(preset=None):
    cfg = {"reward": {"custom_reward_function": {"path": str(REWARD_FILE), "name": "compute_score",
                                                 "reward_kwargs": {} if preset is None else {"preset": preset}},
                      "reward_manager": {"source": "register", "name": "naive"}}}
    return OmegaConf.create(cfg)


def rollout_batch(path, tokenizer, rows: int) -> tuple[DataProto, list[str], list[dict]]:
    """``rows`` prompts of every task type from our parquet, each repeated N times with N responses."""
    ds = RLHFDataset(str(path), tokenizer, data_config(image_key="no_images"))
    picked, seen = [], {}
    for i in range(len(ds)):
        t = ds.dataframe[i]["extra_info"]["type"]
        if seen.get(t, 0) < rows:
            seen[t] = seen.get(t, 0) + 1
            picked.append(i)
    assert set(seen) == {"TorF1", "TorF2", "Counting1", "Counting2", "Counting3", "planning"}
    batch = DataProto.from_single_dict(collate_fn([ds[i] for i in picked]))
    batch = batch.repeat(repeat_times=N, interleave=True)
    infos = [dict(e) for e in batch.non_tensor_batch["extra_info"]]
    texts = [responses_for(infos[k])[k % N] for k in range(len(batch))]
    prompt_len, resp_len = 8, 96
    prompts = torch.full((len(batch), prompt_len), tokenizer.pad_token_id)
    responses = torch.full((len(batch), resp_len), tokenizer.pad_token_id)
    mask = torch.zeros((len(batch), prompt_len + resp_len), dtype=torch.long)
    for k, text in enumerate(texts):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"][:resp_len]
        assert tokenizer.decode(ids, skip_special_tokens=True) == text
        responses[k, :len(ids)] = torch.tensor(ids, dtype=torch.long)
        prompts[k, -2:] = 1
        mask[k, prompt_len - 2:prompt_len + max(len(ids), 1)] = 1
    batch.union(DataProto.from_dict({"prompts": prompts, "responses": responses, "attention_mask": mask}))
    return batch, texts, infos


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
