"""verl's own GRPO advantage on our rewards shows the difficulty-weight cancellation docs/scoring.md describes: with
``norm_adv_by_std_in_grpo=true`` (verl's default and the released code) ``W·r`` gives the same advantages as ``r``;
with ``false`` (the paper's centred form, Dr.GRPO in verl) the advantages scale by ``W``."""

from __future__ import annotations

import pytest

# "verl.protocol", not "verl": tests/verl itself would import as a namespace package "verl"
pytest.importorskip("verl.protocol", reason="verl is not installed here: run `make test-verl` (its own venv)")

import numpy as np
from rollouts import N, reward_config, rollout_batch
from verl.trainer.ppo.core_algos import compute_grpo_outcome_advantage
from verl.trainer.ppo.reward import get_custom_reward_fn
from verl.workers.reward_manager.naive import NaiveRewardManager

from rewardmap.scoring import group_advantages

pytestmark = pytest.mark.verl


def _advantages(batch, tokenizer, preset, norm: bool) -> tuple[list[float], list[float]]:
    manager = NaiveRewardManager(tokenizer, num_examine=0, compute_score=get_custom_reward_fn(reward_config(preset)))
    out = manager(batch, return_dict=True)
    response_mask = batch.batch["attention_mask"][:, batch.batch["prompts"].shape[1]:]
    uid = np.array([str(e["index"]) for e in batch.non_tensor_batch["extra_info"]], dtype=object)
    adv, _ = compute_grpo_outcome_advantage(out["reward_tensor"], response_mask, uid, norm_adv_by_std_in_grpo=norm)
    return adv.sum(-1).tolist(), out["reward_tensor"].sum(-1).tolist()  # one advantage per rollout (on its tokens)


def test_std_normalised_grpo_cancels_the_difficulty_weight(export, tokenizer):
    batch, _, _ = rollout_batch(export("--image-mode", "path"), tokenizer, rows=2)
    tokens = batch.batch["attention_mask"][:, batch.batch["prompts"].shape[1]:].sum(-1).tolist()
    weighted, r_w = _advantages(batch, tokenizer, "official", norm=True)
    plain, r = _advantages(batch, tokenizer, {"preset": "official", "weighting": "none"}, norm=True)
    weights = [a / b for a, b in zip(r_w, r) if b]
    assert len(set(np.round(weights, 6))) > 1, "rows of several difficulty weights"
    assert weighted == pytest.approx(plain, abs=1e-4)  # the weight is cancelled
    assert any(abs(a) > 0.1 for a in plain)
    # ... and verl computes what rewardmap.scoring.group_advantages documents for the released form
    ours = group_advantages(r_w, N, scale="none", normalize_std=True)
    assert [a / n for a, n in zip(weighted, tokens)] == pytest.approx(ours, abs=1e-4)


def test_centred_grpo_keeps_the_difficulty_weight(export, tokenizer):
    batch, _, _ = rollout_batch(export("--image-mode", "path"), tokenizer, rows=2)
    tokens = batch.batch["attention_mask"][:, batch.batch["prompts"].shape[1]:].sum(-1).tolist()
    weighted, r_w = _advantages(batch, tokenizer, "official", norm=False)
    plain, r = _advantages(batch, tokenizer, {"preset": "official", "weighting": "none"}, norm=False)
    per_rollout_w = [a / n for a, n in zip(weighted, tokens)]
    per_rollout = [a / n for a, n in zip(plain, tokens)]
    w = [rw / rr if rr else None for rw, rr in zip(r_w, r)]
    group_w = [next((x for x in w[g:g + N] if x), 1.0) for g in range(0, len(w), N) for _ in range(N)]
    assert per_rollout_w == pytest.approx([gw * a for gw, a in zip(group_w, per_rollout)], abs=1e-4)
    assert per_rollout_w != pytest.approx(per_rollout, abs=1e-4)
    assert per_rollout_w == pytest.approx(group_advantages(r, N, weights=group_w[::N], scale="reward",
                                                           normalize_std=False), abs=1e-4)
