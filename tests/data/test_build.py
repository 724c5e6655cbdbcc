"""``build_datasets`` and ``rewardmap data``: layout, public columns, determinism, round trips, real cities."""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from pathlib import Path

import pytest
from datakit import SMALL_PLUS

from rewardmap.cli import main
from rewardmap.data import (
    REASONMAP_COLUMNS,
    REASONMAP_PLUS_COLUMNS,
    REASONMAP_TRAIN_COLUMNS,
    build_datasets,
    load_rows,
    resolve_figure,
    resolve_stations,
    validate_rows,
)
from rewardmap.errors import DataError


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_layout_columns_and_splits(toy_build):
    out, res = toy_build
    assert res["test_cities"] == ["twotown"] and res["missing_maps"] == []
    for name, cols, splits in (("reasonmap", REASONMAP_COLUMNS, ("train", "validation")),
                               ("reasonmap-plus", REASONMAP_PLUS_COLUMNS, ("train", "test")),
                               ("reasonmap-train", REASONMAP_TRAIN_COLUMNS, ("train",))):
        for split in splits:
            ds = load_rows(out / name, split)
            assert ds.column_names == list(cols)
            assert validate_rows(ds, name, root=out, check_files=True, check_images=True) == len(ds) > 0
            pq = load_rows(out / "parquet" / f"{name}-{split}.parquet")
            assert pq.column_names == list(cols) and pq.to_list() == ds.to_list()
    plus_test = load_rows(out / "reasonmap-plus", "test")
    assert set(plus_test["city"]) == {"twotown"}
    assert set(load_rows(out / "reasonmap-train")["city"]) == {"toyville"}
    assert (out / "maps/testland/toyville.png").is_file() and (out / "geometry/testland/toyville.json").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    labels = {c["city"]: (c["difficulty_city"], c["difficulty_source"]) for c in manifest["cities"]}
    assert labels == {"toyville": ("hard", "geometry"), "twotown": ("easy", "computed")}


def test_train_rows_use_placeholders_and_short_question(toy_build):
    out, _ = toy_build
    train = load_rows(out / "reasonmap-train").to_list()
    rm = {(r["station_1"], r["station_2"]): r for r in load_rows(out / "reasonmap", "train").to_list()}
    types = Counter(r["type"] for r in train)
    assert types == Counter({**SMALL_PLUS, "planning": len(rm)})
    for r in train:
        if r["type"] == "planning":
            assert r["answer"] == -1 and r["question"] == rm[(r["station_1"], r["station_2"])]["question_short"]
            assert r["question_transfer_count"] >= 0
        else:
            assert r["question_transfer_count"] == -1 and r["difficulty_question"] == "-1"
        assert r["figure"] == "./maps/testland/toyville.png" and r["json"] == "./stations/testland/toyville.json"


def test_relative_paths_resolve_against_dataset_root(toy_build):
    out, _ = toy_build
    row = load_rows(out / "reasonmap-plus", "train")[0]
    img = resolve_figure(row["figure"], out)
    assert img.size == (60, 40) and img.getpixel((0, 0)) == (200, 0, 0)
    assert "Circle Line" in resolve_stations(load_rows(out / "reasonmap", "train")[0]["json"], out)


def test_reasonmap_routes_hold_only_real_plans(toy_build):
    """Each row's ``routes`` holds exactly its plans ``"1"``…``"k"``: no ``None`` plan (the released main.py zips
    every plan of ``routes.items()``; a ``None`` plan crashes it)."""
    out, _ = toy_build
    rows = load_rows(out / "reasonmap", "train").to_list()
    assert len({len(r["routes"]) for r in rows}) > 1  # rows differ in their number of plans
    for r in rows:
        plans = list(r["routes"].values())
        assert list(r["routes"]) == [str(i + 1) for i in range(len(plans))]
        assert plans and all(isinstance(p, list) and p for p in plans)
        assert all(set(sec) == {"arrival_stop", "departure_stop", "num_via_stops", "route_name", "via_stops"}
                   for p in plans for sec in p)
        assert len(plans[0]) == r["question_transfer_count"] + 1


def test_same_seed_identical_files_other_seed_differs(toy_root, tmp_path):
    kw = {"test_cities": ["twotown"], "plus_counts": SMALL_PLUS, "planning_quota": (3, 2, 1)}
    build_datasets(toy_root / "stations", toy_root / "maps", tmp_path / "a", seed=1, **kw)
    build_datasets(toy_root / "stations", toy_root / "maps", tmp_path / "b", seed=1, **kw)
    build_datasets(toy_root / "stations", toy_root / "maps", tmp_path / "c", seed=2, **kw)
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert a == b
    assert a != c


def test_embed_images_writes_base64_png(toy_root, tmp_path):
    res = build_datasets(toy_root / "stations", toy_root / "maps", tmp_path / "e", seed=0, embed_images=True,
                         test_cities=[], plus_counts={"Counting3": 1}, planning_quota=(1, 0, 0), write_parquet=False)
    row = load_rows(res["reasonmap"], "train")[0]
    raw = base64.b64decode(row["figure"], validate=True)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    assert resolve_figure(row["figure"]).size == (60, 40)  # no root needed
    assert load_rows(res["reasonmap-plus"], "train")[0]["figure"].startswith("./maps/")


def test_bad_inputs_are_named(toy_root, tmp_path):
    with pytest.raises(DataError, match="nowhere"):
        build_datasets(toy_root / "stations", toy_root / "maps", tmp_path / "x", test_cities=["nowhere"])
    with pytest.raises(DataError, match=r"unknown city nowhere.*known cities: toyville, twotown"):
        build_datasets(toy_root / "stations", toy_root / "maps", tmp_path / "x", cities=["nowhere"])
    with pytest.raises(DataError, match="cannot embed"):
        build_datasets(toy_root / "stations", tmp_path / "no-maps", tmp_path / "x", embed_images=True)


def test_cli_build_validate_inspect(toy_root, tmp_path, capsys):
    out = tmp_path / "cli"
    # --maps defaults to the maps/ folder next to --stations
    assert main(["data", "build", "--stations", str(toy_root / "stations"), "--out", str(out), "--seed", "3",
                 "--split-test-cities", "twotown", "--quiet"]) == 0
    assert main(["data", "validate", str(out), "--check-files", "--check-images"]) == 0
    text = capsys.readouterr().out
    assert text.count(": OK") == 5
    assert main(["data", "inspect", str(out)]) == 0
    text = capsys.readouterr().out
    for t in ("TorF1", "TorF2", "Counting1", "Counting2", "Counting3", "planning"):
        assert f"---- sample [{t}]" in text
    # a broken row makes validate fail and name the row and column
    import datasets

    ds = load_rows(out / "reasonmap-plus", "train")
    broken = ds.map(lambda r, i: {"type": "torf1" if i == 2 else r["type"]}, with_indices=True)
    datasets.DatasetDict({"train": broken}).save_to_disk(str(tmp_path / "broken"))
    assert main(["data", "validate", str(tmp_path / "broken")]) == 1
    assert "row 2, column 'type'" in capsys.readouterr().out
    (out / "maps" / "testland" / "twotown.png").unlink()
    assert main(["data", "validate", str(out / "reasonmap-plus")]) == 0
    assert main(["data", "validate", str(out / "reasonmap-plus"), "--check-images"]) == 1
    assert "column 'figure': image file './maps/testland/twotown.png' not found" in capsys.readouterr().out


def test_exported_png_is_a_real_png(toy_build):
    out, _ = toy_build
    from PIL import Image

    assert Image.open(io.BytesIO((out / "maps/testland/twotown.png").read_bytes())).size == (60, 40)


# ------------------------------------------------------------------------------------------------ real data
def test_real_build_validates_and_splits_by_city(reasonmap_data, tmp_path):
    out = tmp_path / "real"
    res = build_datasets(reasonmap_data / "stations", reasonmap_data / "maps", out, seed=0)
    assert len(res["cities"]) == 24
    known_test = {"los_angeles", "miami", "toronto", "beijing", "rome", "lisboa", "singapore", "geneva"}
    assert set(res["test_cities"]) == known_test
    plus_train = load_rows(out / "reasonmap-plus", "train")
    plus_test = load_rows(out / "reasonmap-plus", "test")
    assert not set(plus_train["city"]) & set(plus_test["city"])
    for name, split in (("reasonmap", "train"), ("reasonmap", "validation"), ("reasonmap-plus", "train"),
                        ("reasonmap-plus", "test"), ("reasonmap-train", "train")):
        validate_rows(load_rows(out / name, split), name, root=out, check_files=True, check_answers=True)
    rows = plus_train.to_list() + plus_test.to_list()
    torf = Counter(r["answer"] for r in rows if r["type"].startswith("TorF"))
    assert abs(torf[1] - torf[0]) / (torf[1] + torf[0]) <= 0.05
    dalian = next(r for r in load_rows(out / "reasonmap", "train").to_list() if r["city"] == "dalian")
    assert (dalian["difficulty_city"], dalian["city_line_count"], dalian["city_transfer_count"]) == ("middle", 6, 15)
    # Plus answers re-derived from the copied station files with plain list logic
    for r in rows:
        st = resolve_stations(f"./stations/{r['country']}/{r['city']}.json", out)
        assert r["city_line_count"] == len(st)
        if r["type"] == "Counting3":
            assert r["answer"] == len(st)


def test_check_answers_rederives_plus_answers(toy_build):
    out, _ = toy_build
    ds = load_rows(out / "reasonmap-train")
    assert validate_rows(ds, "reasonmap-train", root=out, check_answers=True) == len(ds)
    i = next(i for i, r in enumerate(ds) if r["type"] == "TorF1")
    flipped = ds.map(lambda r, j: {"answer": 1 - r["answer"] if j == i else r["answer"]}, with_indices=True)
    with pytest.raises(DataError, match="TorF1 answer") as info:
        validate_rows(flipped, "reasonmap-train", root=out, check_answers=True)
    assert (info.value.row, info.value.column) == (i, "answer")


def test_plus_annotations_align_with_rows(toy_build):
    out, res = toy_build
    rows = load_rows(out / "reasonmap-plus", "train").to_list()
    notes = [json.loads(x) for x in Path(res["annotations"]["reasonmap-plus-train"]).read_text().splitlines()]
    assert len(notes) == len(rows)
    for row, note in zip(rows, notes):
        assert (note["type"], note["station_1"], note["answer"]) == (row["type"], row["station_1"], row["answer"])
        if row["type"] == "Counting1":
            assert len(note["fine_grained_answer"]) == note["options"][row["answer"]]
            assert all(name in json.dumps(resolve_stations(f"./stations/{row['country']}/{row['city']}.json", out),
                                          ensure_ascii=False) for name in note["fine_grained_answer"])
        if row["type"] == "Counting2":
            assert len(note["fine_grained_answer"]) == row["answer"]


def test_same_bytes_across_processes_and_hash_seeds(toy_root, tmp_path):
    import os
    import subprocess
    import sys

    for name, hash_seed in (("p1", "1"), ("p2", "4242")):
        subprocess.run([sys.executable, "-m", "rewardmap.cli", "data", "build", "--stations",
                        str(toy_root / "stations"), "--out", str(tmp_path / name), "--seed", "9", "--quiet"],
                       check=True, env={**os.environ, "PYTHONHASHSEED": hash_seed}, capture_output=True)
    assert _files(tmp_path / "p1") == _files(tmp_path / "p2")
