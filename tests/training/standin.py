"""A stand-in TRL dataset (every task type, tiny images) for tests that must not depend on the data builders."""

from __future__ import annotations

TYPES = ["TorF1", "TorF2", "Counting1", "Counting2", "Counting3", "planning"]


def stand_in_dataset(per_type: int = 3):
    import datasets
    from PIL import Image

    rows: dict[str, list] = {"prompt": [], "image": [], "type": [], "answer": [], "difficulty_city": [],
                             "question_transfer_count": []}
    for t in TYPES:
        for i in range(per_type):
            text = f"{t} question {i}?" + " and more" * (2 * i)  # unequal prompt lengths: left padding
            rows["prompt"].append([{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}])
            rows["image"].append(Image.new("RGB", (56 + 8 * i, 56), (40 * i, 100, 200)))
            rows["type"].append(t)
            rows["answer"].append(i)
            rows["difficulty_city"].append(("easy", "middle", "hard")[i % 3])
            rows["question_transfer_count"].append(i if t == "planning" else -1)
    return datasets.Dataset.from_dict(rows)
