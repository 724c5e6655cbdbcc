#!/usr/bin/env bash
# Launch RewardMap GRPO on verl for Qwen2.5-VL-3B-Instruct (recipe rewardmap_qwen25vl_3b.yaml): 1 node, 8 GPUs.
#   bash run_qwen25vl_3b.sh TRAIN.parquet [hydra overrides…]
set -euo pipefail
RECIPE=rewardmap_qwen25vl_3b exec bash "$(dirname "$0")/run_qwen25vl_7b.sh" "$@"
