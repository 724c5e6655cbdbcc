"""Exporters: verl parquet, LLaMA-Factory sharegpt + dataset_info, TRL conversational."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image

from rewardmap.cli import main
from rewardmap.data import (
    REWARD_COLUMNS,
    export_llamafactory,
    export_verl,
    load_rows,
    sft_answer,
    to_trl_conversational,
    validate_rows,
)
from rewardmap.errors import DataError


def test_verl_parquet(toy_build, tmp_path):
    out, _ = toy_build
    ds = load_rows(out / "reasonmap-train")
    path = export_verl(ds, tmp_path / "verl" / "train.parquet", root=out)
    rows = pq.read_table(path).to_pylist()
    assert len(rows) == len(ds)
    assert set(rows[0]) == {"data_source", "prompt", "images", "ability", "reward_model", "extra_info"}
    for r, src in zip(rows, ds):
        assert r["prompt"] == [{"role": "user", "content": "<image>\n" + src["question"].strip()}]
        assert r["prompt"][0]["content"].count("<image>") == len(r["images"]) == 1
        assert Path(r["images"][0]["image"]).is_file()
        extra = r["extra_info"]
        assert {c: extra[c] for c in REWARD_COLUMNS if c != "json"} == {c: src[c] for c in REWARD_COLUMNS if c != "json"}
        assert Path(extra["json"]).is_absolute() and "Line 1" in json.loads(Path(extra["json"]).read_text())
        assert r["reward_model"] == {"style": "rule", "ground_truth": str(src["answer"])}
    path = export_verl(ds.select(range(2)), tmp_path / "b.parquet", root=out, image_mode="bytes")
    img = pq.read_table(path).to_pylist()[0]["images"][0]
    assert img["bytes"][:4] == b"\x89PNG" and img["image"] is None


def test_verl_from_plus_and_reasonmap_schemas_fill_placeholders(toy_build, tmp_path):
    out, _ = toy_build
    plus = pq.read_table(export_verl(load_rows(out / "reasonmap-plus", "test"), tmp_path / "p.parquet",
                                     root=out)).to_pylist()
    assert all(r["extra_info"]["question_transfer_count"] == -1 for r in plus)
    assert all(Path(r["extra_info"]["json"]).name == "twotown.json" for r in plus)
    rm = load_rows(out / "reasonmap", "train")
    rows = pq.read_table(export_verl(rm, tmp_path / "r.parquet", root=out)).to_pylist()
    assert all(r["extra_info"]["type"] == "planning" and r["extra_info"]["answer"] == -1 for r in rows)
    assert rows[0]["prompt"][0]["content"] == "<image>\n" + rm[0]["question_short"]


def test_llamafactory_sft(toy_build, tmp_path):
    out, _ = toy_build
    ds = load_rows(out / "reasonmap-train")
    paths = export_llamafactory(ds, tmp_path / "lf", root=out)
    records = json.loads(paths["data"].read_text())
    plus = [r for r in ds if r["type"] != "planning"]
    assert len(records) == len(plus)  # planning rows are skipped
    for rec, src in zip(records, plus):
        human, gpt = rec["conversations"]
        assert human == {"from": "human", "value": "<image> " + src["question"]}
        assert gpt["from"] == "gpt" and gpt["value"] == sft_answer(src["type"], src["answer"])
        assert Path(rec["images"][0]).is_file()
    info = json.loads(paths["dataset_info"].read_text())
    assert info["reasonmap_plus_sft"]["formatting"] == "sharegpt"
    assert info["reasonmap_plus_sft"]["columns"] == {"messages": "conversations", "images": "images"}
    assert sft_answer("Counting1", 3) == "D" and sft_answer("TorF2", 0) == "no" and sft_answer("Counting2", 4) == "4"


def test_trl_conversational(toy_build):
    out, _ = toy_build
    ds = load_rows(out / "reasonmap-plus", "train")
    trl = to_trl_conversational(ds, root=out, max_pixels=28 * 28 * 2)
    assert set(trl.column_names) == {"prompt", "image", *REWARD_COLUMNS}
    row = trl[0]
    assert row["prompt"][0]["role"] == "user"
    assert row["prompt"][0]["content"][0]["type"] == "image"
    assert row["prompt"][0]["content"][1] == {"type": "text", "text": ds[0]["question"]}
    assert isinstance(row["image"], Image.Image) and row["image"].size == (56, 28)
    assert row["question_transfer_count"] == -1 and row["type"] == ds[0]["type"]
    assert Path(row["json"]).is_file()


def test_cli_export(toy_build, tmp_path):
    out, _ = toy_build
    assert main(["data", "export", "verl", str(out / "reasonmap-train"), "--root", str(out),
                 "--out", str(tmp_path / "v.parquet")]) == 0
    assert pq.read_table(tmp_path / "v.parquet").num_rows == len(load_rows(out / "reasonmap-train"))


def test_exporters_and_validation_honour_filter_and_select(toy_build, tmp_path):
    out, _ = toy_build
    ds = load_rows(out / "reasonmap-train")
    counting = ds.filter(lambda r: r["type"] == "Counting2").select([1, 0])
    expected = [counting[0]["station_1"], counting[1]["station_1"]]
    rows = pq.read_table(export_verl(counting, tmp_path / "f.parquet", root=out)).to_pylist()
    assert [r["extra_info"]["station_1"] for r in rows] == expected
    assert {r["extra_info"]["type"] for r in rows} == {"Counting2"}
    trl = to_trl_conversational(counting, root=out, max_pixels=28 * 28 * 2)
    assert trl["station_1"] == expected
    broken = ds.map(lambda r, i: {"answer": 9 if i == 0 else r["answer"]}, with_indices=True)
    assert validate_rows(broken.select(range(1, len(broken))), "reasonmap-train") == len(ds) - 1
    with pytest.raises(DataError) as info:
        validate_rows(broken.select([3, 0]), "reasonmap-train")
    assert info.value.row == 1  # row numbers are positions in the dataset as given


def test_trl_image_dir_stores_each_map_once(toy_build, tmp_path):
    out, _ = toy_build
    ds = load_rows(out / "reasonmap-train")
    trl = to_trl_conversational(ds, root=out, max_pixels=28 * 28 * 2, image_dir=tmp_path / "img")
    assert [p.name for p in (tmp_path / "img").iterdir()] and len(list((tmp_path / "img").iterdir())) == 1
    raw = trl.with_format("arrow")[:]["image"].to_pylist()
    assert all(r["bytes"] is None and Path(r["path"]).is_file() for r in raw)
    assert trl[0]["image"].size == (56, 28)
    main(["data", "export", "trl", str(out / "reasonmap-train"), "--root", str(out), "--out", str(tmp_path / "t"),
          "--max-pixels", "1568"])
    assert len(load_rows(tmp_path / "t")) == len(ds) and (tmp_path / "t" / "images").is_dir()
