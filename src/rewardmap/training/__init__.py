"""Training: policies (HF VLMs, the tiny offline Qwen2.5-VL), the multi-stage curriculum, GRPO and SFT on TRL.

Submodules import torch/transformers lazily; ``import rewardmap.training`` itself stays light.
"""
