"""ReasonMap / ReasonMap-Plus evaluation: model backends, a resumable runner, reports, a simulated model server.

Importing this package loads no torch/transformers: the HF and vLLM backends import them when they are built.
Metrics come from :mod:`rewardmap.scoring` (no second parser here).
"""

from rewardmap.evaluation.backends import (
    Backend,
    Generation,
    ImageRef,
    ModelSpec,
    OpenAIBackend,
    Prompt,
    RetryPolicy,
    make_backend,
    parse_model_spec,
)
from rewardmap.evaluation.extract import extract_answer
from rewardmap.evaluation.store import ResultsWriter, read_records

__all__ = ["Backend", "Generation", "ImageRef", "ModelSpec", "OpenAIBackend", "Prompt", "ResultsWriter",
           "RetryPolicy", "extract_answer", "make_backend", "parse_model_spec", "read_records"]
