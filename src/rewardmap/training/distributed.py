"""Several processes (``torchrun --nproc_per_node N``, ``accelerate launch``): who is main, and waiting for it.

Work with side effects on shared folders — building the synthetic data, the SFT output, logs, checkpoints, the
report — is done by the main process (rank 0); the others wait for it at a barrier and then read its results.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager


def rank() -> int:
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    return rank() == 0


def _group():
    """The default process group (created over gloo on CPU, nccl on GPUs, if the launcher has not yet)."""
    import torch
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
    return dist


def barrier() -> None:
    if world_size() > 1:
        _group().barrier()


def broadcast_from_main(value):
    """The main process's ``value``, on every process."""
    if world_size() <= 1:
        return value
    box = [value]
    _group().broadcast_object_list(box, src=0)
    return box[0]


@contextmanager
def main_first():
    """Run the block on the main process first, then on the others (which then find its results, e.g. a cache)."""
    if not is_main():
        barrier()
    yield
    if is_main():
        barrier()


def shutdown(*, wait: bool = True) -> None:
    """Destroy the default process group, if one was created, before the interpreter exits. Left to the interpreter's
    teardown, gloo's worker threads can be destroyed while joinable and abort the process ("terminate called without
    an active exception", SIGABRT) after the run itself has finished. ``wait``: meet the other processes first (only
    on success: after a failure they may never arrive)."""
    dist = sys.modules.get("torch.distributed")
    if dist is None or not dist.is_available() or not dist.is_initialized():
        return
    try:
        if wait:
            dist.barrier()
    finally:
        dist.destroy_process_group()


@contextmanager
def process_group_closed():
    """Run the block, then :func:`shutdown` (waiting for the other processes only when the block succeeded)."""
    ok = False
    try:
        yield
        ok = True
    finally:
        shutdown(wait=ok)
