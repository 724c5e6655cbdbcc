"""Real TRL GRPO steps on the tiny offline policy with a stand-in dataset (integration)."""

from __future__ import annotations

import json

import pytest

from .standin import stand_in_dataset

pytestmark = pytest.mark.integration

def char_reward(completions, **kwargs):
    """Stand-in reward that a random policy cannot make constant: characters in the completion / 10."""
    return [len(c[0]["content"]) / 10 for c in completions]


def tiny_config(out, tiny_policy_dir, *extra):
    from rewardmap.training.config import load_config

    return load_config(None, [f"run.output_dir={out}", f"model.tiny_cache={tiny_policy_dir}",
                              "grpo.num_generations=2", "grpo.prompts_per_step=2", "grpo.max_completion_length=8",
                              "grpo.learning_rate=1e-3", "grpo.beta=0.0", "curriculum.steps_per_stage=1",
                              "data.max_pixels=12544", "run.report_to=[]", "run.progress=false", *extra])


def test_stages_run_in_order_and_rewards_see_every_column(tmp_path, tiny_policy_dir):
    from safetensors.torch import load_file

    from rewardmap.training.engines.trl import run_grpo

    seen = []

    def recording_reward(completions, **kwargs):
        seen.append(kwargs)
        return char_reward(completions)

    ds = stand_in_dataset()
    cfg = tiny_config(tmp_path / "run", tiny_policy_dir, "curriculum.preset=fine")
    before = load_file(str(tiny_policy_dir / "model.safetensors"))
    result = run_grpo(cfg, ds, lambda preset: ([recording_reward], None))
    # six fine stages, one step each, in the declared order; each step's prompts are of its stage's type only
    assert [s.stage for s in result.steps] == ["torf1", "torf2", "counting3", "counting2", "counting1", "planning"]
    assert [set(s.types) for s in result.steps] == [{"TorF1"}, {"TorF2"}, {"Counting3"}, {"Counting2"},
                                                    {"Counting1"}, {"planning"}]
    assert [b[1:] for b in result.stage_boundaries] == [(i, i) for i in range(1, 7)]
    # every dataset column reaches the reward function, one value per completion
    for kw in seen:
        for col in ("type", "answer", "difficulty_city", "question_transfer_count", "image"):
            assert len(kw[col]) == 4
    assert [kw["type"][0] for kw in seen] == [s.types[0] for s in result.steps]
    # logged per step: reward, zero-std fraction; parameters changed
    assert all("reward" in s.metrics and "frac_reward_zero_std" in s.metrics for s in result.steps)
    after = load_file(str(result.final_model / "model.safetensors"))
    changed = [k for k in before if k in after and not (before[k] == after[k]).all()]
    assert len(changed) > len(before) // 2
    summary = json.loads((result.output_dir / "summary.json").read_text())
    assert list(summary["stages"]) == ["torf1", "torf2", "counting3", "counting2", "counting1", "planning"]
    assert (result.output_dir / "config.yaml").is_file()


@pytest.mark.parametrize("mode", ["reward"])
def test_difficulty_weighting_modes_give_the_expected_advantages(tmp_path, tiny_policy_dir, mode):
    import torch

    from rewardmap.training.engines.trl import RewardMapGRPOTrainer
    from rewardmap.training.engines.trl_args import grpo_args
    from rewardmap.training.policy import load_policy

    weight = {"easy": 1.0, "middle": 1.2, "hard": 1.5}
    raw: list[list[float]] = []

    def reward(completions, difficulty_city, **kwargs):
        r = char_reward(completions)
        raw.append(r)
        if mode == "reward":
            return [w * x for w, x in zip([weight[d] for d in difficulty_city], r)]
        return r

    captured = []
    policy = load_policy(tiny_policy_dir, dtype="float32")
    cfg = tiny_config(tmp_path / "run", tiny_policy_dir, "grpo.num_generations=4", "grpo.max_completion_length=12")
    args = grpo_args(cfg.grpo, cfg.run, output_dir=tmp_path / "run", max_steps=1, suppress_tokens=policy.suppress_tokens)
    ds = stand_in_dataset().select([1, 2])  # a middle and a hard question
    trainer = RewardMapGRPOTrainer(
        model=policy.model, reward_funcs=[reward], args=args, train_dataset=ds, processing_class=policy.processor,
        advantage_weight=(lambda row: weight[row["difficulty_city"]]) if mode == "advantage" else None,
        batch_observers=[lambda rows, out: captured.append((rows, out["advantages"].clone()))])
    trainer.train()
    rows, adv = captured[0]
    r = torch.tensor(raw[0]).view(-1, 4)
    normalised = ((r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + 1e-4)).flatten()
    w = torch.tensor([weight[row["difficulty_city"]] for row in rows])
    assert {row["difficulty_city"] for row in rows} == {"middle", "hard"}
    if mode == "reward":
        # the paper's reward scaling is cancelled by per-group std normalisation
        assert torch.allclose(adv, normalised, atol=1e-3)
    else:
        # ours: the weight survives, scaling each question's advantages
        assert torch.allclose(adv, w * normalised, atol=1e-3)
        assert not torch.allclose(adv, normalised, atol=1e-2)


def test_advantage_weighting_from_a_config_scales_the_advantages_trl_uses_by_the_question_weights(
        tmp_path, tiny_policy_dir, monkeypatch):
    import torch

    from rewardmap.scoring import difficulty_weight
    from rewardmap.training.engines.trl import RewardMapGRPOTrainer, run_grpo
    from rewardmap.training.rewards import reward_factory

    cfg = tiny_config(tmp_path / "run", tiny_policy_dir, "reward.weighting=advantage", "grpo.num_generations=4",
                      "grpo.max_completion_length=12", "curriculum.preset=coarse", "curriculum.steps_per_stage=2")
    real = reward_factory(cfg.reward)  # the config's weighting, through the real factory
    scored: list[tuple[list[float], list[float]]] = []  # per step: raw rewards, W of each completion's question

    def factory(preset):
        _, adv_weight = real(preset)

        def reward(completions, **kwargs):
            rows = [{k: v[i] for k, v in kwargs.items() if isinstance(v, list)} for i in range(len(completions))]
            scored.append((char_reward(completions), [difficulty_weight(r, "official") for r in rows]))
            return scored[-1][0]

        return [reward], adv_weight

    used = []  # the advantages GRPOTrainer's loss receives
    original = RewardMapGRPOTrainer.compute_loss

    def spy(self, model, inputs, *args, **kwargs):
        used.append(inputs["advantages"].detach().clone())
        return original(self, model, inputs, *args, **kwargs)

    monkeypatch.setattr(RewardMapGRPOTrainer, "compute_loss", spy)
    run_grpo(cfg, stand_in_dataset(), factory)
    assert len(used) == len(scored) == 4
    weighted_somewhere = False
    for adv, (raw, w) in zip(used, scored):
        r = torch.tensor(raw).view(-1, 4)
        normalised = ((r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + 1e-4)).flatten()
        expected = torch.tensor(w) * normalised
        # TRL shuffles the completions of a batch before the loss: compare as multisets
        assert torch.allclose(adv.sort().values, expected.sort().values, atol=1e-4)
        weighted_somewhere |= not torch.allclose(adv.sort().values, normalised.sort().values, atol=1e-3)
    assert weighted_somewhere  # some question had W ≠ 1 and a non-zero advantage


def test_lora_policy_keeps_its_initial_adapter_as_kl_reference_across_stages_and_resume(tmp_path, tiny_policy_dir):
    from safetensors.torch import load_file

    from rewardmap.training.engines.trl import run_grpo

    cfg = tiny_config(tmp_path / "lora", tiny_policy_dir, "model.lora={rank: 4}", "grpo.beta=0.01",
                      "curriculum.preset=coarse", "curriculum.steps_per_stage=2", "run.save_every=1")
    ds = stand_in_dataset()
    run_grpo(cfg, ds, lambda p: ([char_reward], None), stop_after_steps=3)  # crosses the stage boundary
    result = run_grpo(cfg, ds, lambda p: ([char_reward], None), resume=True)
    assert [s.step for s in result.steps] == [1, 2, 3, 4]
    trained = load_file(str(result.final_model / "adapter_model.safetensors"))
    ref = load_file(str(result.final_model / "ref" / "adapter_model.safetensors"))
    lora_b = [k for k in trained if "lora_B" in k]
    assert lora_b and any(trained[k].abs().sum() > 0 for k in lora_b)  # the policy's adapter moved
    assert all(ref[k].abs().sum() == 0 for k in ref if "lora_B" in k)  # the reference is still the initial (B = 0)
