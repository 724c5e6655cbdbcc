"""``ReasonMap`` (planning) for VLMEvalKit — imports vlmeval; copy or import it where VLMEvalKit runs.

Register it (VLMEvalKit has no plugin hook): add ``from rewardmap.integrations.vlmevalkit.reasonmap import
ReasonMap`` to ``vlmeval/dataset/__init__.py`` and ``ReasonMap`` to its ``IMAGE_DATASET`` list; write the TSVs
with :func:`rewardmap.integrations.vlmevalkit.write_tsv` into ``$LMUData`` (``ReasonMap_short.tsv``,
``ReasonMap_long.tsv``), then ``python run.py --data ReasonMap_short ReasonMap_long --model …``.
Scores are :mod:`rewardmap.scoring`'s (official variant and parser, the released ReasonMap metric): accuracy and map
score, plain and weighted by the RS-paper B.3 matrix — the numbers ``rewardmap eval`` reports.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from vlmeval.dataset.image_base import ImageBaseDataset
from vlmeval.smp import load

from rewardmap.integrations.vlmevalkit import score_planning_predictions


class ReasonMap(ImageBaseDataset):
    TYPE = "VQA"
    DATASET_URL: ClassVar[dict] = {"ReasonMap_short": "", "ReasonMap_long": ""}  # local TSVs in $LMUData
    DATASET_MD5: ClassVar[dict] = {}

    @classmethod
    def supported_datasets(cls):
        return ["ReasonMap_short", "ReasonMap_long"]

    def build_prompt(self, line):
        if isinstance(line, int):
            line = self.data.iloc[line]
        image = self.dump_image(line)
        msgs = [dict(type="image", value=p) for p in (image if isinstance(image, list) else [image])]
        msgs.append(dict(type="text", value=line["question"]))  # the question as is, no system prompt
        return msgs

    def evaluate(self, eval_file, **judge_kwargs):
        df = load(eval_file)
        agg = score_planning_predictions(df.to_dict("records"))
        rows = [dict(metric=m, value=agg[m], n=len(df)) for m in
                ("weighted_accuracy", "accuracy", "weighted_map_score", "map_score")]
        return pd.DataFrame(rows, columns=["metric", "value", "n"])
