"""A dataset must never look complete when it is not (issues 13 F4/F7, 12 item 1, 10 item 7, 15 items 3/8).

Each case uses real files: real PNGs with real corrupt / truncated bytes, a real decompression bomb (a tiny PNG whose
header claims 400 MP), a JPEG and a text file named ``.png``.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datakit import SMALL_PLUS, png_bytes, write_png

from rewardmap.cli import main
from rewardmap.data import DEFAULT_MAX_PIXELS_GUARD, build_datasets, export_verl, load_rows, validate_rows
from rewardmap.data.loaders import check_image
from rewardmap.errors import DataError

KL_SIZE = (14_032, 19_843)  # Kuala Lumpur, the largest real ReasonMap map (278.4 MP)


def _png(size=(60, 40), color=(10, 200, 10)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (60, 40), (1, 2, 3)).save(buf, format="JPEG")
    return buf.getvalue()


def _flip_idat_byte(data: bytes) -> bytes:
    at = data.index(b"IDAT") + 8
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


BAD_MAPS = {
    "corrupt": (lambda: _flip_idat_byte(_png()), "corrupt or truncated"),
    "truncated": (lambda: _png()[: len(_png()) // 2], "corrupt or truncated"),
    "empty": (lambda: b"", "empty"),
    "jpeg": (_jpeg, "JPEG, expected PNG"),
    "text": (lambda: b"<html>404 Not Found</html>", "not a readable image"),
    "bomb": (lambda: png_bytes(20_000, 20_000), "decompression-bomb guard"),
}
#: Sound PNG structure (every chunk checksum right) but pixel data that does not inflate: only a full decode
#: (``validate --check-images``) finds it; the build's structural check does not decode pixels.
BAD_PIXELS = (lambda: png_bytes(60, 40, idat=b"not zlib data"), "corrupt or truncated")


def _cli_build(toy_root: Path, out: Path, *extra: str) -> int:
    return main(["data", "build", "--stations", str(toy_root / "stations"), "--out", str(out), "--quiet",
                 "--no-parquet", "--split-test-cities", "twotown", *extra])


# ------------------------------------------------------------------------------------------------ F4: images
@pytest.mark.parametrize("embed", [False, True], ids=["paths", "embed-images"])
@pytest.mark.parametrize("kind", sorted(BAD_MAPS))
def test_build_refuses_a_bad_map_naming_file_and_city(toy_root, tmp_path, capsys, kind, embed):
    make, needle = BAD_MAPS[kind]
    bad = toy_root / "maps" / "testland" / "twotown.png"
    bad.write_bytes(make())
    out = tmp_path / "out"
    rc = _cli_build(toy_root, out, *(["--embed-images"] if embed else []))
    err = capsys.readouterr().err
    assert rc == 1, err
    assert str(bad) in err and "testland/twotown" in err and needle in err, err
    assert not out.exists()  # refused before anything was written


def test_largest_real_map_size_passes_the_default_guard_and_the_guard_stays(tmp_path):
    kl = tmp_path / "kuala_lumpur.png"
    kl.write_bytes(png_bytes(*KL_SIZE))  # a real, decodable 1-bit PNG of Kuala Lumpur's size
    assert KL_SIZE[0] * KL_SIZE[1] < DEFAULT_MAX_PIXELS_GUARD
    assert check_image(kl) == ("PNG", *KL_SIZE)
    with pytest.raises(DataError, match=r"278,436,976 pixels, above the limit of 278,000,000.*max-image-pixels"):
        check_image(kl, max_pixels_guard=278_000_000)
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bytes(20_000, 20_000))
    assert bomb.stat().st_size < 300_000  # tiny on disk, 400 MP decoded
    with pytest.raises(DataError, match="400,000,000 pixels"):
        check_image(bomb)


def test_build_max_image_pixels_option(toy_root, tmp_path, capsys):
    assert _cli_build(toy_root, tmp_path / "a", "--max-image-pixels", "100") == 1
    assert "above the limit of 100" in capsys.readouterr().err
    (toy_root / "maps" / "testland" / "twotown.png").write_bytes(png_bytes(20_000, 20_000))
    assert _cli_build(toy_root, tmp_path / "b", "--max-image-pixels", "0") == 0  # explicitly disabled


@pytest.mark.parametrize("kind", ["corrupt", "truncated", "empty", "text", "pixels"])
def test_validate_check_images_decodes_every_map(toy_build, capsys, kind):
    out, _ = toy_build
    assert main(["data", "validate", str(out), "--check-images"]) == 0
    capsys.readouterr()
    make, needle = BAD_PIXELS if kind == "pixels" else BAD_MAPS[kind]
    target = out / "maps" / "testland" / "toyville.png"
    target.write_bytes(make())  # a map damaged after the build
    assert main(["data", "validate", str(out), "--check-images"]) == 1
    text = capsys.readouterr().out
    assert "row 0, column 'figure'" in text and "toyville.png" in text and needle in text, text


def test_build_checks_structure_and_validate_decodes(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(BAD_PIXELS[0]())
    assert check_image(bad) == ("PNG", 60, 40)  # structure and checksums are sound
    with pytest.raises(DataError, match="corrupt or truncated"):
        check_image(bad, decode=True)


def test_validate_check_images_decodes_embedded_maps(toy_root, tmp_path, capsys):
    import datasets

    res = build_datasets(toy_root / "stations", toy_root / "maps", tmp_path / "e", embed_images=True,
                         test_cities=[], plus_counts={"Counting3": 1}, planning_quota=(2, 0, 0), write_parquet=False)
    ds = load_rows(res["reasonmap"], "train")
    assert validate_rows(ds, "reasonmap", check_images=True) == len(ds)
    full = base64.b64decode(ds[1]["figure"])
    truncated = base64.b64encode(full[: len(full) // 2]).decode()
    broken = ds.map(lambda r, i: {"figure": truncated if i == 1 else r["figure"]}, with_indices=True)
    datasets.DatasetDict({"train": broken}).save_to_disk(str(tmp_path / "broken"))
    assert main(["data", "validate", str(tmp_path / "broken"), "--check-images"]) == 1
    assert "row 1, column 'figure': embedded image" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------------ cities (15.3)
def test_unknown_city_is_refused_listing_known_ones(toy_root, tmp_path, capsys):
    rc = main(["data", "build", "--stations", str(toy_root / "stations"), "--out", str(tmp_path / "o"), "--quiet",
               "--cities", "toyville,atlantis"])
    err = capsys.readouterr().err
    assert rc == 1 and "unknown city atlantis" in err and "known cities: toyville, twotown" in err, err


def test_only_test_cities_warns_that_train_splits_are_empty(reasonmap_data, tmp_path, capsys):
    rc = main(["data", "build", "--stations", str(reasonmap_data / "stations"), "--maps",
               str(reasonmap_data / "maps"), "--out", str(tmp_path / "o"), "--quiet", "--no-parquet",
               "--cities", "beijing,rome"])
    err = capsys.readouterr().err
    assert rc == 0
    assert "warning: every city of the build is a test city (beijing, rome)" in err and "empty" in err, err
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["counts"]["reasonmap-train"]["train"] == 0 and manifest["warnings"]


def test_build_repeats_look_alike_name_warnings(toy_root, tmp_path, capsys):
    import unicodedata

    lines = {"Red": ["Café Station", "Pine Station", "Elm Station"],
             "Blue": ["Fir Station", unicodedata.normalize("NFD", "Café Station"), "Pine Station"]}
    (toy_root / "stations" / "testland" / "twotown.json").write_text(json.dumps(lines, ensure_ascii=False),
                                                                      encoding="utf-8")
    assert _cli_build(toy_root, tmp_path / "o") == 0
    err = capsys.readouterr().err
    assert "warning: testland/twotown: [unicode_twins]" in err, err


# ------------------------------------------------------------------------------------------------ rebuilds (15.8)
def test_rebuild_removes_stale_outputs_of_the_last_build(toy_root, tmp_path, capsys):
    out = tmp_path / "out"
    assert _cli_build(toy_root, out) == 0
    assert (out / "maps/testland/toyville.png").is_file()
    (out / "notes.txt").write_text("mine")  # not ours: left alone
    assert main(["data", "build", "--stations", str(toy_root / "stations"), "--out", str(out), "--quiet",
                 "--no-parquet", "--cities", "twotown", "--split-test-cities", "twotown"]) == 0
    left = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert not [p for p in left if "toyville" in p], sorted(left)
    assert (out / "notes.txt").read_text() == "mine"
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["city"] for c in manifest["cities"]] == ["twotown"]


def test_build_refuses_a_foreign_non_empty_folder(toy_root, tmp_path, capsys):
    out = tmp_path / "home"
    out.mkdir()
    (out / "thesis.tex").write_text("do not delete")
    assert _cli_build(toy_root, out) == 1
    assert "not empty and holds no rewardmap build" in capsys.readouterr().err
    assert (out / "thesis.tex").read_text() == "do not delete" and len(list(out.iterdir())) == 1


def test_build_refuses_an_input_inside_the_output(toy_build, tmp_path, capsys):
    out, _ = toy_build
    rc = main(["data", "build", "--stations", str(out / "stations"), "--maps", str(out / "maps"), "--out", str(out),
               "--quiet"])
    assert rc == 1 and "lies inside" in capsys.readouterr().err
    assert (out / "stations/testland/toyville.json").is_file()


# ------------------------------------------------------------------------------------------------ exporters (F7)
def _without(ds, column: str):
    return ds.remove_columns([column])


@pytest.mark.parametrize("fmt", ["verl", "llamafactory", "trl"])
def test_exporters_refuse_a_dataset_without_answer(toy_build, tmp_path, capsys, fmt):
    import datasets

    out, _ = toy_build
    ds = _without(load_rows(out / "reasonmap-train"), "answer")
    datasets.DatasetDict({"train": ds}).save_to_disk(str(tmp_path / "noanswer"))
    target = tmp_path / ("v.parquet" if fmt == "verl" else "dir")
    rc = main(["data", "export", fmt, str(tmp_path / "noanswer"), "--root", str(out), "--out", str(target)])
    err = capsys.readouterr().err
    assert rc == 1 and "column 'answer'" in err and f"the {fmt} export needs" in err, err
    assert not target.exists()


@pytest.mark.parametrize("column", ["city_line_count", "figure", "station_1"])
def test_verl_refuses_other_missing_columns(toy_build, tmp_path, column):
    out, _ = toy_build
    with pytest.raises(DataError) as info:
        export_verl(_without(load_rows(out / "reasonmap-train"), column), tmp_path / "v.parquet", root=out)
    assert info.value.column == column and not (tmp_path / "v.parquet").exists()


def test_verl_refuses_a_null_answer_naming_the_row(toy_build, tmp_path):
    out, _ = toy_build
    ds = load_rows(out / "reasonmap-train")
    i = next(i for i, r in enumerate(ds) if r["type"] == "TorF1")
    broken = ds.map(lambda r, j: {"answer": None if j == i else r["answer"]}, with_indices=True)
    with pytest.raises(DataError) as info:
        export_verl(broken, tmp_path / "v.parquet", root=out)
    assert (info.value.row, info.value.column) == (i, "answer")


def test_verl_refuses_an_unresolvable_map_path(toy_build, tmp_path):
    out, _ = toy_build
    with pytest.raises(DataError, match="not found") as info:
        export_verl(load_rows(out / "reasonmap-train"), tmp_path / "v.parquet", root=tmp_path)
    assert info.value.column == "figure" and info.value.row == 0


def test_verl_path_mode_on_embedded_maps_points_to_bytes_mode(toy_root, tmp_path):
    res = build_datasets(toy_root / "stations", toy_root / "maps", tmp_path / "e", embed_images=True,
                         test_cities=[], plus_counts={"Counting3": 1}, planning_quota=(2, 0, 0), write_parquet=False)
    ds = load_rows(res["reasonmap"], "train")
    with pytest.raises(DataError, match=r"embedded in the row.*--image-mode bytes") as info:
        export_verl(ds, tmp_path / "v.parquet", root=tmp_path / "e")
    assert (info.value.row, info.value.column) == (0, "figure")
    rows = pq.read_table(export_verl(ds, tmp_path / "v.parquet", root=tmp_path / "e", image_mode="bytes")).to_pylist()
    assert rows[0]["images"][0]["bytes"][:4] == b"\x89PNG"


def test_verl_path_mode_has_no_bytes_key_and_carries_pixel_budget(toy_build, tmp_path):
    out, _ = toy_build
    assert main(["data", "export", "verl", str(out / "reasonmap-train"), "--out", str(tmp_path / "v.parquet")]) == 0
    table = pq.read_table(tmp_path / "v.parquet")
    image_type = table.schema.field("images").type.value_type
    assert sorted(f.name for f in image_type) == ["image", "max_pixels", "min_pixels"]  # no 'bytes' column at all
    for r in table.to_pylist():
        (img,) = r["images"]
        assert Path(img["image"]).is_file() and (img["max_pixels"], img["min_pixels"]) == (128_450_560, 3136)


def test_verl_rows_in_curriculum_order_with_stage(toy_build, tmp_path):
    out, _ = toy_build
    ds = load_rows(out / "reasonmap-train")
    assert main(["data", "export", "verl", str(out / "reasonmap-train"), "--out", str(tmp_path / "v.parquet"),
                 "--max-pixels", "200704"]) == 0
    rows = pq.read_table(tmp_path / "v.parquet").to_pylist()
    assert sorted(r["extra_info"]["index"] for r in rows) == list(range(len(ds)))  # every row once
    stage_of = {"TorF1": "torf", "TorF2": "torf", "Counting2": "counting23", "Counting3": "counting23",
                "Counting1": "counting1", "planning": "planning"}  # the released order (rl_dataset.py)
    stages = [r["extra_info"]["stage"] for r in rows]
    assert [stage_of[r["extra_info"]["type"]] for r in rows] == stages
    seen = list(dict.fromkeys(stages))
    assert seen == ["torf", "counting23", "counting1", "planning"]  # contiguous blocks, released order
    assert [r["extra_info"]["stage_index"] for r in rows] == sorted(r["extra_info"]["stage_index"] for r in rows)
    for r in rows:
        src = ds[r["extra_info"]["index"]]
        assert r["extra_info"]["station_1"] == src["station_1"] and r["extra_info"]["type"] == src["type"]
    assert rows[0]["images"][0]["max_pixels"] == 200704
    # a different seed shuffles inside stages, not across them
    assert main(["data", "export", "verl", str(out / "reasonmap-train"), "--out", str(tmp_path / "w.parquet"),
                 "--seed", "1"]) == 0
    other = pq.read_table(tmp_path / "w.parquet").to_pylist()
    assert [r["extra_info"]["stage"] for r in other] == stages
    assert [r["extra_info"]["index"] for r in other] != [r["extra_info"]["index"] for r in rows]
    assert main(["data", "export", "verl", str(out / "reasonmap-train"), "--out", str(tmp_path / "n.parquet"),
                 "--curriculum", "none"]) == 0
    plain = pq.read_table(tmp_path / "n.parquet").to_pylist()
    assert [r["extra_info"]["index"] for r in plain] == list(range(len(ds)))
    assert "stage" not in plain[0]["extra_info"]


# ------------------------------------------------------------------------------------------------ --root (15.8)
def test_export_finds_the_dataset_root_itself(toy_build, tmp_path, capsys):
    out, _ = toy_build
    for source in (out / "reasonmap-train", out / "parquet" / "reasonmap-train-train.parquet"):
        target = tmp_path / f"{source.name}.parquet"
        assert main(["data", "export", "verl", str(source), "--out", str(target)]) == 0
        assert Path(pq.read_table(target).to_pylist()[0]["images"][0]["image"]).is_file()
    assert main(["data", "export", "llamafactory", str(out / "reasonmap-plus"), "--split", "train",
                 "--out", str(tmp_path / "lf")]) == 0
    lone = tmp_path / "lone" / "x.parquet"
    lone.parent.mkdir()
    lone.write_bytes((out / "parquet" / "reasonmap-train-train.parquet").read_bytes())
    capsys.readouterr()
    assert main(["data", "export", "verl", str(lone), "--out", str(tmp_path / "y.parquet")]) == 1
    assert "pass --root" in capsys.readouterr().err


def test_write_png_helper_is_a_real_png(tmp_path):
    p = write_png(tmp_path / "a.png")
    assert check_image(p, decode=True) == ("PNG", 60, 40)
    assert SMALL_PLUS  # the shared quotas stay importable


@pytest.mark.integration
def test_a_map_of_the_largest_real_size_decodes_with_the_defaults(tmp_path):
    """Kuala Lumpur's size (278 MP) through the path training and evaluation use (~7 s, ~1.4 GB on one core)."""
    from rewardmap.data import resolve_figure

    kl = tmp_path / "kuala_lumpur.png"
    kl.write_bytes(png_bytes(*KL_SIZE))
    img = resolve_figure(str(kl), max_pixels=200_704)
    assert img.mode == "RGB" and img.width * img.height <= 200_704 and img.height > img.width
