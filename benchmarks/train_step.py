"""GRPO step time: our multi-stage runner vs a bare TRL ``GRPOTrainer`` on the same tiny model, data and rewards.

Both train the tiny offline Qwen2.5-VL on the same synthetic ReasonMap-Train rows (same order, no shuffling), with
the same ``GRPOConfig`` and the same RewardMap reward functions. A shared callback records the wall time between
consecutive ``on_step_end`` events — the whole loop: generation, rewards, loss, backward, optimizer, logging, our
bookkeeping. The first ``--warmup`` steps are excluded; the median and mean of the rest are compared. Runs
alternate (bare, ours, bare, ours, …) to spread machine noise.

    .venv/bin/python benchmarks/train_step.py                 # CPU, tiny model
    .venv/bin/python benchmarks/train_step.py --steps 30 --repeats 3
    .venv/bin/python benchmarks/train_step.py --model 3b      # GPU only: Qwen2.5-VL-3B-sized, random weights

Prints the figures and writes ``benchmarks/results/train_step.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from transformers import TrainerCallback


class StepTimer(TrainerCallback):
    def __init__(self):
        self.marks: list[float] = []

    def on_train_begin(self, args, state, control, **kwargs):
        self.marks = [time.perf_counter()]

    def on_step_end(self, args, state, control, **kwargs):
        self.marks.append(time.perf_counter())

    def intervals(self, skip: int) -> list[float]:
        d = [b - a for a, b in zip(self.marks, self.marks[1:])]
        return d[skip:]


def qwen25vl_3b_spec():
    """A Qwen2.5-VL-3B-sized spec (text 2048 × 36 layers, vision 1280 × 32) for the GPU path."""
    from rewardmap.models.tiny import TinyPolicySpec

    return TinyPolicySpec(vocab_size=4096, hidden_size=2048, intermediate_size=11008, num_layers=36, num_heads=16,
                          num_kv_heads=2, vision_hidden_size=1280, vision_depth=32, vision_heads=16,
                          max_pixels=448 * 448, pad_vocab_to=151936)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--prompts", type=int, default=4)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--completion", type=int, default=32)
    ap.add_argument("--model", choices=("tiny", "3b"), default="tiny")
    ap.add_argument("--work", default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--out", default="benchmarks/results/train_step.json")
    args = ap.parse_args()

    import torch
    from transformers.trainer_callback import PrinterCallback
    from transformers.utils import logging as hf_logging
    from trl import GRPOTrainer

    from rewardmap.models.tiny import build_tiny_qwen25vl
    from rewardmap.training.config import load_config
    from rewardmap.training.engines.trl import run_grpo
    from rewardmap.training.engines.trl_args import grpo_args
    from rewardmap.training.inputs import prepare_training_data
    from rewardmap.training.policy import load_policy
    from rewardmap.training.rewards import reward_factory

    hf_logging.disable_progress_bar()
    work = Path(args.work or tempfile.mkdtemp(prefix="rm-train-step-"))
    spec = qwen25vl_3b_spec() if args.model == "3b" else None
    if args.model == "3b" and not torch.cuda.is_available():
        raise SystemExit("--model 3b needs a CUDA GPU (a 3B policy does not train in CPU memory)")
    model_dir = build_tiny_qwen25vl(work / f"policy-{args.model}", spec)
    max_pixels = 448 * 448 if args.model == "3b" else 224 * 224
    cfg = load_config(None, [
        f"run.output_dir={work / 'ours'}", f"model.path={model_dir}", "run.progress=false", "run.report_to=[]",
        "curriculum.preset=shuffled", f"curriculum.steps_per_stage={args.steps}",
        f"grpo.prompts_per_step={args.prompts}", f"grpo.num_generations={args.generations}",
        f"grpo.max_completion_length={args.completion}", "grpo.learning_rate=1e-5", "grpo.beta=1e-3",
        f"data.max_pixels={max_pixels}", "data.synthetic.cities=3", "model.dtype=auto",
    ])
    data = prepare_training_data(cfg.data, work)
    factory = reward_factory(cfg.reward, data.root)
    funcs, _ = factory(None)

    from rewardmap.training.curriculum import CurriculumSampler

    sampler = CurriculumSampler.from_dataset_types(data.train["type"], cfg.curriculum.resolved_stages(),
                                                   prompts_per_step=cfg.grpo.prompts_per_step, seed=cfg.curriculum.seed)
    ordered = data.train.select(list(sampler.plans[0].rows))

    def bare() -> list[float]:
        policy = load_policy(model_dir, dtype="auto")
        timer = StepTimer()
        targs = grpo_args(cfg.grpo, cfg.run, output_dir=work / "bare", max_steps=args.steps,
                          suppress_tokens=policy.suppress_tokens)
        trainer = GRPOTrainer(model=policy.model, reward_funcs=funcs, args=targs,
                              train_dataset=ordered, processing_class=policy.processor,
                              callbacks=[timer])
        trainer.remove_callback(PrinterCallback)
        trainer.train()
        return timer.intervals(args.warmup)

    def ours() -> list[float]:
        timer = StepTimer()
        run_grpo(cfg, data.train, factory, callbacks=[timer])
        return timer.intervals(args.warmup)

    results: dict[str, list[float]] = {"bare": [], "ours": []}
    for _ in range(args.repeats):
        for name, fn in (("bare", bare), ("ours", ours)):
            torch.manual_seed(0)
            results[name].extend(fn())

    med = {k: statistics.median(v) for k, v in results.items()}
    mean = {k: statistics.fmean(v) for k, v in results.items()}
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} threads)"
    payload = {
        "device": device, "model": args.model, "steps_measured": {k: len(v) for k, v in results.items()},
        "prompts_per_step": args.prompts, "generations": args.generations, "completion_tokens": args.completion,
        "median_step_s": med, "mean_step_s": mean, "ratio_median": med["ours"] / med["bare"],
        "ratio_mean": mean["ours"] / mean["bare"],
    }
    if torch.cuda.is_available():
        payload["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
    print(f"device: {device}; model: {args.model}; {args.prompts} prompts × {args.generations} rollouts × "
          f"{args.completion} tokens; {len(results['bare'])} steps measured each")
    for k in ("bare", "ours"):
        print(f"  {k:<5} median {med[k]:.3f} s/step   mean {mean[k]:.3f} s/step")
    print(f"  ours / bare: median {payload['ratio_median']:.3f}×, mean {payload['ratio_mean']:.3f}×")
    if "peak_gpu_memory_gib" in payload:
        print(f"  peak GPU memory: {payload['peak_gpu_memory_gib']:.1f} GiB")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
