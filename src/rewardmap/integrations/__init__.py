"""Thin adapters between rewardmap and training engines (TRL reward functions, verl ``compute_score``).

Neither adapter imports torch, TRL or verl: they are plain functions the engines call.
"""
