"""Experiments: whole studies built from the real pipeline — the paper's ablation in miniature
(:mod:`rewardmap.experiments.ablation`): a miniature world, a pre-trained base policy, every Table 3 recipe.

This layer sits above ``training`` and ``evaluation`` (it trains with one and measures with the other).
"""
