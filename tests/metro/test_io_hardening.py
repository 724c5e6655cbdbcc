"""Station-file loading refuses hostile or broken files with one clear error (issue 13 F5, F6, F8).

Every case is a real file on disk: deep nesting, a directory or a symlink loop in a station file's place, an
oversized file, duplicate JSON keys, names with control / invisible characters, NFC/NFD twins.
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest

from rewardmap.cli import main
from rewardmap.errors import StationFileError
from rewardmap.metro import load_network
from rewardmap.metro.io import MAX_STATION_FILE_BYTES, iter_station_files

GOOD = {"Red": ["Oak Station", "Pine Station (Transfer Station)", "Elm Station"],
        "Blue": ["Fir Station", "Pine Station (Transfer Station)", "Yew Station"]}


def _write(root: Path, city: str, text: str | bytes) -> Path:
    p = root / "stations" / "testland" / f"{city}.json"
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def _show(path: Path, capsys) -> tuple[int, str, str]:
    rc = main(["network", "show", str(path)])
    out, err = capsys.readouterr()
    return rc, out, err


def _refused_cleanly(path: Path, capsys, *needles: str) -> str:
    """``network show`` exits 1 with one ``error:`` line naming the file (no traceback)."""
    rc, _, err = _show(path, capsys)
    assert rc == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_deeply_nested_json_is_a_clear_error(tmp_path, capsys):
    depth = 200_000  # far beyond Python's recursion limit
    path = _write(tmp_path, "deep", '{"Red": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(StationFileError, match="nested too deeply"):
        load_network(path)
    _refused_cleanly(path, capsys, "nested too deeply")


def test_directory_in_place_of_a_station_file(tmp_path, capsys):
    path = tmp_path / "stations" / "testland" / "hollow.json"
    path.mkdir(parents=True)
    _refused_cleanly(path, capsys, "directory")
    _write(tmp_path, "good", json.dumps(GOOD))
    with pytest.raises(StationFileError, match=r"hollow\.json.*directory"):
        iter_station_files(tmp_path / "stations")


def test_symlink_loop_in_place_of_a_station_file(tmp_path, capsys):
    folder = tmp_path / "stations" / "testland"
    folder.mkdir(parents=True)
    a, b = folder / "loop.json", folder / "other.json"
    os.symlink(b, a)
    os.symlink(a, b)
    with pytest.raises(OSError):
        a.read_text()  # a real loop: the OS refuses it (ELOOP)
    _refused_cleanly(a, capsys, "symbolic links")
    with pytest.raises(StationFileError, match=r"(loop|other)\.json"):
        iter_station_files(tmp_path / "stations")


def test_data_build_refuses_a_broken_station_entry_instead_of_skipping_it(tmp_path, capsys):
    _write(tmp_path, "good", json.dumps(GOOD))
    (tmp_path / "stations" / "testland" / "hollow.json").mkdir()
    rc = main(["data", "build", "--stations", str(tmp_path / "stations"), "--out", str(tmp_path / "out"),
               "--quiet", "--no-parquet"])
    err = capsys.readouterr().err
    assert rc == 1 and "hollow.json" in err and "directory" in err, err
    assert not (tmp_path / "out" / "reasonmap").exists()


def test_oversized_station_file_is_refused_before_reading(tmp_path, capsys):
    body = json.dumps(GOOD)
    pad = MAX_STATION_FILE_BYTES + 1 - len(body)
    path = _write(tmp_path, "huge", body[:-1] + " " * pad + "}")  # valid JSON, one byte over the bound
    assert path.stat().st_size == MAX_STATION_FILE_BYTES + 1
    _refused_cleanly(path, capsys, "above the limit", f"{MAX_STATION_FILE_BYTES:,}")
    assert load_network(path, max_bytes=None).city_line_count == 2  # an explicit option lifts the bound


def test_duplicate_line_keys_are_refused(tmp_path, capsys):
    text = ('{"Red": ["Oak Station", "Elm Station"], "Blue": ["Fir Station", "Elm Station"], '
            '"Red": ["Ash Station", "Bay Station"]}')
    assert len(json.loads(text)) == 2  # what plain json does: one "Red" list silently lost
    path = _write(tmp_path, "dupes", text)
    with pytest.raises(StationFileError) as info:
        load_network(path)
    assert info.value.line == "Red" and "appears twice" in str(info.value)
    _refused_cleanly(path, capsys, "'Red'", "appears twice")


@pytest.mark.parametrize("name, code", [
    ("Oak Station\nRoute Name: Line 9", "U+000A"),   # forges an answer line
    ("Oak\r Station", "U+000D"),
    ("Oak\u2028Station", "U+2028"),                  # line separator
])
def test_names_with_control_characters_are_refused(tmp_path, capsys, name, code):
    lines = {"Red": [name, "Pine Station", "Elm Station"], "Blue": ["Fir Station", "Pine Station"]}
    path = _write(tmp_path, "forged", json.dumps(lines, ensure_ascii=False))
    with pytest.raises(StationFileError) as info:
        load_network(path)
    assert info.value.line == "Red" and code in str(info.value)
    _refused_cleanly(path, capsys, code, "entry 0")


def test_line_name_with_a_newline_is_refused(tmp_path):
    path = _write(tmp_path, "forged_line", json.dumps({"Red\nDeparture Stop: X": ["A Station", "B Station"]}))
    with pytest.raises(StationFileError, match=r"line name .*U\+000A"):
        load_network(path)


def test_nfc_nfd_twins_load_with_a_warning(tmp_path, capsys):
    nfc = "Café Station"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    lines = {"Red": [nfc, "Pine Station", "Elm Station"], "Blue": ["Fir Station", nfd, "Pine Station"]}
    path = _write(tmp_path, "twins", json.dumps(lines, ensure_ascii=False))
    net = load_network(path)
    codes = [w.code for w in net.warnings]
    assert "unicode_twins" in codes
    rc, out, _ = _show(path, capsys)
    assert rc == 0 and "[unicode_twins]" in out and "NFC/NFD" in out


@pytest.mark.parametrize("name, code", [
    ("Oak\u200dStation", "U+200D"),                  # zero-width joiner (some scripts need it)
    ("Oak\u200b Station", "U+200B"),                 # zero-width space
    ("Oak \u202eStation", "U+202E"),                 # right-to-left override
    ("Oak \u200fStation", "U+200F"),                 # right-to-left mark
    ("Oak\ufeffStation", "U+FEFF"),                  # byte-order mark
])
def test_invisible_characters_load_with_a_warning(tmp_path, name, code):
    """The released code reads such a file, so it loads (official scores must equal its scores); the look-alike
    risk is reported."""
    lines = {"Red": [name, "Pine Station"], "Blue": ["Fir Station", "Pine Station"]}
    net = load_network(_write(tmp_path, "zwj", json.dumps(lines, ensure_ascii=False)))
    found = [w for w in net.warnings if w.code == "invisible_character"]
    assert len(found) == 1 and code in str(found[0])


def test_real_station_files_still_load_without_new_warnings(reasonmap_data):
    for path in iter_station_files(reasonmap_data / "stations"):
        net = load_network(path)
        assert not [w for w in net.warnings if w.code in ("unicode_twins", "invisible_character")], path
