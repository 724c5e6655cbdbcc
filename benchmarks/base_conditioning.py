"""Does a base policy condition on the question at all? A likelihood probe for the miniature ablation.

For ride questions on RL-training cities (never evaluation cities), compares the model's negative log-likelihood of
the reference answer with that of the same answer whose departure station is another station of the world. A model
that reads the question prefers the right one; a language prior over answer formats is at chance (half). It measures
what greedy exact match cannot yet show: conditioning that is being learned but does not win the argmax.

    .venv/bin/python benchmarks/base_conditioning.py runs/ablation-full/base --world runs/ablation-full/world
"""

from __future__ import annotations

import argparse
import random


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", help="a base policy folder (e.g. runs/ablation-full/base)")
    ap.add_argument("--world", required=True, help="the experiment's world folder (world.json inside)")
    ap.add_argument("--cities", type=int, default=8, help="RL-training cities to ask about (default 8)")
    ap.add_argument("--questions", type=int, default=30, help="ride questions at most (default 30)")
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()

    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from rewardmap.data.loaders import resolve_figure
    from rewardmap.evaluation.runner import saved_image_budget
    from rewardmap.experiments.reading import departure_of
    from rewardmap.experiments.world import load_world

    world = load_world(args.world)
    proc = AutoProcessor.from_pretrained(args.model)
    model = AutoModelForImageTextToText.from_pretrained(args.model, dtype=torch.float32).eval()
    rides = [e for e in world.probe_examples(30, cities=args.cities, seed=args.seed) if e.task == "ride"]
    rides = rides[:args.questions]

    names = sorted({departure_of(e.answer) for e in rides})
    low, high, _ = saved_image_budget(args.model)  # the budget saved with the model, which it was trained at
    pixels = {"min_pixels": low, "max_pixels": high}

    def nll(example, answer: str) -> float:
        msgs = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": example.question}]}]
        prompt = proc.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False)
        image = resolve_figure(example.figure, world.root, **pixels)  # as the pre-training saw it
        n = proc(text=[prompt], images=[image], return_tensors="pt")["input_ids"].shape[1]
        full = proc(text=[prompt + answer], images=[image], return_tensors="pt")
        with torch.no_grad():
            logits = model(**full).logits[0, n - 1:-1]
        return torch.nn.functional.cross_entropy(logits, full["input_ids"][0, n:], reduction="sum").item()

    rng = random.Random(args.seed)
    gaps = []
    for e in rides:
        right = departure_of(e.answer)
        other = rng.choice([x for x in names if x != right])
        gaps.append(nll(e, e.answer.replace("Departure Stop: " + right, "Departure Stop: " + other)) - nll(e, e.answer))
    better = sum(g > 0 for g in gaps)
    print(f"{args.model}: the right departure is more likely in {better} of {len(gaps)} ride questions "
          f"({better / len(gaps):.0%}; chance 50%); mean NLL gap {sum(gaps) / len(gaps):.2f} nats")


if __name__ == "__main__":
    main()
