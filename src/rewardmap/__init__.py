"""rewardmap: RewardMap (arXiv 2510.02240) as a library and a command."""

__version__ = "0.1.0"

