"""Rollout batches as verl's trainer builds them, shared by the reward and advantage contract tests (imported only
after their ``importorskip`` of verl)."""

from __future__ import annotations

import torch
from omegaconf import OmegaConf
from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn

from conftest import data_config
from rewardmap.integrations.verl import REWARD_FILE
from verl import DataProto

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
