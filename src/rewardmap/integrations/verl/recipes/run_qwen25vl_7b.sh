#!/usr/bin/env bash
# Launch RewardMap GRPO on verl (recipe rewardmap_qwen25vl_7b.yaml): 1 node, 8 GPUs.
#   bash run_qwen25vl_7b.sh TRAIN.parquet [hydra overrides…]
# TRAIN.parquet: `rewardmap data export verl <ReasonMap-Train> --out TRAIN.parquet --curriculum rewardmap --seed 42`.
# Multi-node: start Ray on every node first (`ray start --head` / `ray start --address=HEAD:6379`), then run this on
# the head node with trainer.nnodes=N (docs/scaling.md).
set -euo pipefail
RECIPE="${RECIPE:-rewardmap_qwen25vl_7b}"
TRAIN="${1:?usage: $0 TRAIN.parquet [hydra overrides...]}"
shift
PY="${PYTHON:-python3}"
KIT="$("$PY" -c 'import rewardmap.integrations.verl as v; print(v.RECIPES_DIR.parent)')"
export VLLM_ATTENTION_BACKEND="${VLLM_ATTENTION_BACKEND:-XFORMERS}"  # released reward_map.sh
exec "$PY" -m verl.trainer.main_ppo \
    --config-path "$KIT/recipes" --config-name "$RECIPE" \
    data.train_files="$(realpath "$TRAIN")" \
    data.custom_cls.path="$KIT/dataset.py" \
    reward.custom_reward_function.path="$KIT/reward.py" \
    "$@"
