"""verl's own ``RLHFDataset`` reads every row ``rewardmap data export verl`` writes, in both image modes.

Image preprocessing (``qwen_vl_utils.fetch_image``) imports torchvision, which must never be installed, so the
image checks stop where verl hands the image to Qwen: the content dicts ``RLHFDataset._build_messages`` puts in
``raw_prompt`` (what the AgentLoop passes to ``qwen_vl_utils.process_vision_info``). ``__getitem__`` asserts that a
processor exists for image rows but does not call it in 0.9.1 (``apply_chat_template`` moved to the AgentLoop); the
processor object below has no attributes, so any use of it would fail the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# "verl.protocol", not "verl": tests/verl itself would import as a namespace package "verl"
pytest.importorskip("verl.protocol", reason="verl is not installed here: run `make test-verl` (its own venv)")

from PIL import Image
from verl.utils.dataset.rl_dataset import RLHFDataset
from verl.utils.tokenizer import normalize_token_ids

from conftest import TRAIN_ROWS, data_config, parquet_rows

pytestmark = pytest.mark.verl


class NoProcessor:
    """Satisfies ``assert self.processor is not None``; has no attributes, so any call into it raises."""


def _question(row: dict) -> str:
    content = row["prompt"][0]["content"]
    assert content.startswith("<image>\n")
    return content.removeprefix("<image>\n")


def _dataset(path: Path, tokenizer, processor=None, **overrides) -> RLHFDataset:
    return RLHFDataset(str(path), tokenizer, data_config(**overrides), processor=processor)


def test_path_mode_every_row_reaches_qwen_as_a_file_with_its_pixel_budget(export, tokenizer):
    path = export("--image-mode", "path")
    rows = parquet_rows(path)
    ds = _dataset(path, tokenizer, NoProcessor())
    assert len(ds) == len(rows) == TRAIN_ROWS
    for i, row in enumerate(rows):
        item = ds[i]
        content = item["raw_prompt"][0]["content"]
        assert [c["type"] for c in content] == ["image", "text"]
        image = content[0]
        assert "bytes" not in image, "a bytes key (even None) makes verl open it as bytes"
        assert Path(image["image"]).is_absolute() and Path(image["image"]).is_file()
        assert image["max_pixels"] >= image["min_pixels"] > 0
        assert content[1]["text"] == "\n" + _question(row)  # the released user turn: "<image>\n" + question
        assert item["extra_info"] == row["extra_info"] and item["index"] == row["extra_info"]["index"]
        assert item["reward_model"]["ground_truth"] == row["reward_model"]["ground_truth"]
    with Image.open(rows[0]["images"][0]["image"]) as im:  # what fetch_image will open
        assert im.size[0] > 0


def test_bytes_mode_every_row_decodes_to_the_map(export, built, tokenizer):
    path = export("--image-mode", "bytes")
    rows = parquet_rows(path)
    ds = _dataset(path, tokenizer, NoProcessor())
    assert len(ds) == len(rows) == TRAIN_ROWS
    sizes: dict[str, tuple[int, int]] = {}
    for i, row in enumerate(rows):
        image = ds[i]["raw_prompt"][0]["content"][0]
        assert isinstance(image["image"], Image.Image)
        info = row["extra_info"]
        key = info["city"]
        if key not in sizes:
            with Image.open(built / "maps" / info["country"] / f"{key}.png") as im:
                sizes[key] = im.size
        assert image["image"].size == sizes[key]
        assert image["max_pixels"] >= image["min_pixels"] > 0


def test_text_only_rows_tokenize_with_the_chat_template_and_respect_the_length_filter(export, tokenizer):
    path = export("--image-mode", "path")
    ds = _dataset(path, tokenizer, image_key="no_images", filter_overlong_prompts=True, max_prompt_length=100_000)
    assert len(ds) == TRAIN_ROWS
    item = ds[0]
    assert isinstance(item["raw_prompt"][0]["content"], str)
    ids = normalize_token_ids(tokenizer.apply_chat_template(item["raw_prompt"], add_generation_prompt=True,
                                                            tokenize=True))  # what verl's length filter counts
    assert len(ids) > 10
    lengths = sorted(len(normalize_token_ids(tokenizer.apply_chat_template(
        r["prompt"], add_generation_prompt=True, tokenize=True))) for r in parquet_rows(path))
    limit = lengths[len(lengths) // 2]
    short = _dataset(path, tokenizer, image_key="no_images", filter_overlong_prompts=True, max_prompt_length=limit)
    assert len(short) == sum(n <= limit for n in lengths) < TRAIN_ROWS
