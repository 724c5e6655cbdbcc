"""Fixtures of the verl contract tests (``make test-verl``: real verl 0.9.1 on CPU, in .venv-verl).

The data is made as a user makes it — ``rewardmap synth`` → ``rewardmap data build`` → ``rewardmap data export
verl`` — and read by verl's own classes. The tokenizer is a real ``PreTrainedTokenizerFast`` (byte-level BPE,
lossless decode, a Qwen-style chat template) trained here on a few strings: nothing is downloaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
#: ReasonMap-Train built from 3 synthetic cities: 356 rows of all six task types.
TRAIN_ROWS = 356


def rewardmap(*args: str | Path) -> str:
    """Run the ``rewardmap`` command of this environment; fails the test with its output when it fails."""
    cmd = [str(BIN / "rewardmap"), *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """A built dataset root (``reasonmap-train``, ``reasonmap-plus``, ``reasonmap``, ``maps``, ``stations``)."""
    root = tmp_path_factory.mktemp("verl-data")
    rewardmap("synth", "--cities", "3", "--out", root / "synth", "--size", "256", "--seed", "0")
    rewardmap("data", "build", "--stations", root / "synth" / "stations", "--out", root / "ds", "--quiet",
              "--split-test-cities", "mvik")
    return root / "ds"


@pytest.fixture(scope="session")
def export(built, tmp_path_factory):
    """``export(name, *flags)`` → the parquet written by ``rewardmap data export verl <train> --out … flags``."""
    out_dir = tmp_path_factory.mktemp("verl-export")
    cache: dict[tuple, Path] = {}

    def run(*flags: str) -> Path:
        if flags not in cache:
            out = out_dir / f"export{len(cache)}.parquet"
            rewardmap("data", "export", "verl", built / "reasonmap-train", "--out", out, *flags)
            cache[flags] = out
        return cache[flags]

    return run


@pytest.fixture(scope="session")
def tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    corpus = ["Route Name: Line 1\nDeparture Stop: Alpha Station\nArrival Stop: Bravo Station\n--\n",
              "According to the subway map, how many stops are there? \\boxed{yes} \\boxed{no} \\boxed{3}"] * 20
    tok.train_from_iterator(corpus, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
                          "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    return fast


def data_config(**overrides):
    """verl's own data config (``trainer/config/data/legacy_data.yaml``) with our overrides, as Hydra gives it."""
    from omegaconf import OmegaConf

    import verl

    base = OmegaConf.load(Path(verl.__file__).parent / "trainer" / "config" / "data" / "legacy_data.yaml")
    cfg = OmegaConf.merge(base, {"filter_overlong_prompts_workers": 1, **overrides})
    cfg.pop("tool_config_path", None)  # interpolations into actor_rollout_ref, absent outside the full config
    cfg.pop("function_tool_path", None)
    return cfg


def parquet_rows(path: Path) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pylist()
