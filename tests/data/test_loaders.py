"""Loading hand-written rows in each public schema, resolving figure/json, validation errors, image guard/resize."""

from __future__ import annotations

import base64
import json

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datakit import write_png

from rewardmap.data import (
    detect_schema,
    load_rows,
    resolve_figure,
    resolve_stations,
    smart_resize,
    validate_rows,
)
from rewardmap.errors import DataError

DALIAN_ROUTES = {"1": [{"arrival_stop": "九里", "departure_stop": "石河北海", "num_via_stops": 5,
                        "route_name": "地铁5号线(后关--虎滩新区)", "via_stops": ["a", "b", "c", "d", "e"]}],
                 "2": None}
REASONMAP_ROW = {
    "country": "china", "city": "dalian", "station_1": "石河北海站", "station_2": "九里站", "figure": "iVBORw0KGgo=",
    "question_long": "According to the subway map, how do I get from 石河北海站 to 九里站? … Number of Via Stops: x",
    "question_short": "According to the subway map, how do I get from 石河北海站 to 九里站? …",
    "difficulty_question": "easy", "difficulty_city": "middle", "city_line_count": 6, "city_transfer_count": 15,
    "question_transfer_count": 0, "routes": DALIAN_ROUTES, "json": "./stations/china/dalian.json",
}
PLUS_ROWS = [
    {"country": "united_arab_emirates", "city": "dubai", "station_1": "Gold Souq Station",
     "station_2": "Salah Al Din Station", "figure": "./maps/united_arab_emirates/dubai.png",
     "question": "Please solve the multiple choice problem … \nA) 7 \nB) 13 \nC) 2 \nD) 8 \n", "answer": 2,
     "type": "Counting1", "difficulty_city": "easy", "city_line_count": 2, "city_transfer_count": 6},
    {"country": "united_arab_emirates", "city": "dubai", "station_1": "Danube Station",
     "station_2": "lbn Battuta Station", "figure": "./maps/united_arab_emirates/dubai.png",
     "question": "Please solve the multiple choice problem … \nA) 8 \nB) 1 \nC) 25 \nD) 12 \n", "answer": 1,
     "type": "Counting1", "difficulty_city": "easy", "city_line_count": 2, "city_transfer_count": 6},
]
TRAIN_ROWS = [
    {"country": "china", "city": "dalian", "station_1": "石河北海站", "station_2": "九里站", "question": "q",
     "difficulty_question": "easy", "difficulty_city": "middle", "city_line_count": 6, "city_transfer_count": 15,
     "question_transfer_count": 0, "type": "planning", "answer": -1, "figure": "./maps/china/dalian.png",
     "json": "./stations/china/dalian.json"},
    {"country": "china", "city": "hefei", "station_1": "洪岗站", "station_2": "双墩站", "question": "q",
     "difficulty_question": "middle", "difficulty_city": "middle", "city_line_count": 6, "city_transfer_count": 23,
     "question_transfer_count": 1, "type": "planning", "answer": -1, "figure": "./maps/china/hefei.png",
     "json": "./stations/china/hefei.json"},
    {"country": "united_arab_emirates", "city": "dubai", "station_1": "Gold Souq Station",
     "station_2": "Salah Al Din Station", "question": "q", "difficulty_question": "none", "difficulty_city": "easy",
     "city_line_count": 2, "city_transfer_count": 6, "question_transfer_count": -1, "type": "TorF1", "answer": 1,
     "figure": "./maps/united_arab_emirates/dubai.png", "json": "./stations/united_arab_emirates/dubai.json"},
]


def _parquet(rows, path):
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_hand_written_public_rows_load_and_validate(tmp_path):
    (tmp_path / "rm" / "data").mkdir(parents=True)
    _parquet([REASONMAP_ROW], tmp_path / "rm" / "data" / "reasonmap-1008-validation.parquet")
    _parquet([REASONMAP_ROW, REASONMAP_ROW], tmp_path / "rm" / "data" / "reasonmap-1008-train.parquet")
    ds = load_rows(tmp_path / "rm", "validation")  # a hub clone: data/<name>-<split>.parquet
    assert len(ds) == 1 and detect_schema(ds.column_names).name == "reasonmap"
    assert ds[0]["routes"]["2"] is None and ds[0]["routes"]["1"][0]["num_via_stops"] == 5
    assert validate_rows(ds, "reasonmap") == 1

    plus_dir = tmp_path / "plus" / "data"
    plus_dir.mkdir(parents=True)
    _parquet(PLUS_ROWS, plus_dir / "train.parquet")
    _parquet(PLUS_ROWS[:1], plus_dir / "test.parquet")
    assert len(load_rows(tmp_path / "plus", "train")) == 2 and len(load_rows(tmp_path / "plus", "test")) == 1
    assert validate_rows(load_rows(plus_dir / "train.parquet"), "FSCCS/ReasonMap-Plus") == 2

    # ReasonMap-Train as the official download script leaves it: a DatasetDict with key "train"
    datasets.DatasetDict({"train": datasets.Dataset.from_list(TRAIN_ROWS)}).save_to_disk(str(tmp_path / "train"))
    train = load_rows(tmp_path / "train")
    assert validate_rows(train, "reasonmap-train") == 3

    jl = tmp_path / "plus.jsonl"
    jl.write_text("\n".join(json.dumps(r) for r in PLUS_ROWS) + "\n")
    assert validate_rows(load_rows(jl), "reasonmap-plus") == 2


def test_load_rows_errors(tmp_path):
    datasets.DatasetDict({"a": datasets.Dataset.from_list(PLUS_ROWS), "b": datasets.Dataset.from_list(PLUS_ROWS)}
                         ).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(DataError, match="several splits"):
        load_rows(tmp_path / "dd")
    with pytest.raises(DataError, match="no split 'zzz'"):
        load_rows(tmp_path / "dd", "zzz")
    with pytest.raises(DataError, match="not found"):
        load_rows(tmp_path / "missing.parquet")


@pytest.mark.parametrize("column, value, message", [
    ("type", "torf1", "unknown type"),
    ("answer", 4, "index 0–3"),
    ("difficulty_city", "medium", "easy, middle or hard"),
    ("city_line_count", None, "expected an integer"),
    ("station_2", "", "non-empty string"),
    ("figure", "", "figure is empty"),
])
def test_bad_plus_rows_name_row_and_column(column, value, message):
    rows = [dict(r) for r in PLUS_ROWS]
    rows[1][column] = value
    ds = datasets.Dataset.from_list(rows)
    with pytest.raises(DataError, match=message) as info:
        validate_rows(ds, "reasonmap-plus", source="plus.parquet")
    assert (info.value.row, info.value.column, info.value.source) == (1, column, "plus.parquet")
    assert "plus.parquet, row 1, column" in str(info.value)


@pytest.mark.parametrize("column, value, message", [
    ("answer", 0, "placeholder -1"),
    ("question_transfer_count", 2, "does not match"),
])
def test_bad_train_rows(column, value, message):
    rows = [dict(r) for r in TRAIN_ROWS]
    rows[0][column] = value
    with pytest.raises(DataError, match=message) as info:
        validate_rows(datasets.Dataset.from_list(rows), "reasonmap-train")
    assert info.value.row == 0
    rows = [dict(r) for r in TRAIN_ROWS]
    rows[2]["question_transfer_count"] = 0
    with pytest.raises(DataError, match="placeholder -1") as info:
        validate_rows(datasets.Dataset.from_list(rows), "reasonmap-train")
    assert (info.value.row, info.value.column) == (2, "question_transfer_count")


def test_missing_and_extra_columns():
    rows = [{k: v for k, v in r.items() if k != "type"} | {"extra": 1} for r in PLUS_ROWS]
    with pytest.raises(DataError, match="missing column") as info:
        validate_rows(datasets.Dataset.from_list(rows), "reasonmap-plus")
    assert info.value.column == "type"


def test_bad_routes():
    row = dict(REASONMAP_ROW, routes={"1": [{"arrival_stop": "x", "departure_stop": "y", "route_name": "L"}]})
    with pytest.raises(DataError, match="lacks num_via_stops, via_stops") as info:
        validate_rows(datasets.Dataset.from_list([row]), "reasonmap")
    assert info.value.column == "routes"


# ------------------------------------------------------------------------------------------------ figure / json
def test_resolve_figure_all_encodings(tmp_path):
    png = write_png(tmp_path / "maps" / "x" / "y.png", size=(50, 30), color=(1, 2, 3))
    raw = png.read_bytes()
    b64 = base64.b64encode(raw).decode()
    for value in ("./maps/x/y.png", "maps/x/y.png", str(png), f"file://{png}", b64, f"data:image/png;base64,{b64}",
                  raw, {"bytes": raw, "path": None}, {"bytes": None, "path": "./maps/x/y.png"}):
        img = resolve_figure(value, [tmp_path / "elsewhere", tmp_path])
        assert img.size == (50, 30) and img.mode == "RGB" and img.getpixel((3, 3)) == (1, 2, 3)
    with pytest.raises(DataError, match="not found") as info:
        resolve_figure("./maps/x/zzz.png", tmp_path)
    assert info.value.column == "figure"


def test_pixel_guard_refuses_large_images(tmp_path):
    png = write_png(tmp_path / "big.png", size=(200, 100))
    with pytest.raises(DataError, match="decompression-bomb"):
        resolve_figure(str(png), max_pixels_guard=19_999)
    assert resolve_figure(str(png), max_pixels_guard=20_000).size == (200, 100)
    from PIL import Image

    assert Image.MAX_IMAGE_PIXELS is not None  # the global PIL guard is left as it was


def test_qwen_resize(tmp_path):
    png = write_png(tmp_path / "m.png", size=(1000, 700))
    img = resolve_figure(str(png), max_pixels=100_000)
    w, h = img.size
    assert w % 28 == 0 and h % 28 == 0 and w * h <= 100_000 and abs(w / h - 1000 / 700) < 0.1
    assert smart_resize(10, 10) == (56, 56)  # min_pixels 3136 → one 56×56 image
    img = resolve_figure(str(png), max_pixels=100_000, resize="scale")
    assert img.size == (377, 264)  # the official loader: int(side · sqrt(limit / area))


def test_resolve_stations(tmp_path):
    mapping = {"Line 1": ["A Station", "B Station"]}
    p = tmp_path / "stations" / "x" / "y.json"
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps(mapping))
    assert resolve_stations(mapping) == mapping
    assert resolve_stations({**mapping, "Other city's line": None}) == mapping  # Arrow struct padding
    assert resolve_stations(json.dumps(mapping)) == mapping
    assert resolve_stations("./stations/x/y.json", tmp_path) == mapping
    assert resolve_stations(str(p)) == mapping
    with pytest.raises(DataError, match="not found") as info:
        resolve_stations("./stations/x/zzz.json", tmp_path)
    assert info.value.column == "json"
    with pytest.raises(DataError, match="not valid JSON"):
        resolve_stations("{oops")


def test_check_answers_accepts_the_public_dubai_rows(reasonmap_data):
    # the two Counting1 rows of the ReasonMap-Plus viewer, checked against the real Dubai station file
    ds = datasets.Dataset.from_list(PLUS_ROWS)
    assert validate_rows(ds, "reasonmap-plus", root=reasonmap_data, check_answers=True) == 2
    wrong = [dict(PLUS_ROWS[0]), dict(PLUS_ROWS[1], answer=0)]
    with pytest.raises(DataError, match="answer 0 = option 8; the count is 1") as info:
        validate_rows(datasets.Dataset.from_list(wrong), "reasonmap-plus", root=reasonmap_data, check_answers=True)
    assert (info.value.row, info.value.column) == (1, "answer")


def test_mixed_parquet_folder_is_refused(tmp_path):
    _parquet(PLUS_ROWS, tmp_path / "reasonmap-plus-train.parquet")
    _parquet(TRAIN_ROWS, tmp_path / "reasonmap-train-train.parquet")
    with pytest.raises(DataError, match="different datasets"):
        load_rows(tmp_path, "train")
    assert len(load_rows(tmp_path / "reasonmap-plus-train.parquet")) == 2
