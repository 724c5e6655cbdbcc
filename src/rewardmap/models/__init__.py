"""What both training and evaluation load: the tiny offline Qwen2.5-VL (:mod:`rewardmap.models.tiny`), the
image-only Qwen2.5-VL processor and :func:`load_processor` (:mod:`rewardmap.models.processor`).

Training and evaluation import this package, never each other. ``import rewardmap.models`` is light: torch and
transformers are imported by the functions that need them.
"""

from rewardmap.models.processor import load_processor, register_processor, vision_token_ids
from rewardmap.models.tiny import TinyPolicySpec, build_tiny_qwen25vl

__all__ = ["TinyPolicySpec", "build_tiny_qwen25vl", "load_processor", "register_processor", "vision_token_ids"]
