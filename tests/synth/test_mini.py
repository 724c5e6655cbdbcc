"""The ``mini`` preset (issue 14): small cities for tiny models, in the same output layout as every synthetic city.

Checked against independent sources: the station files re-read by :func:`rewardmap.metro.load_network`, the pixels
of the written PNGs, the datasets that ``rewardmap data build`` makes of the output, and the reward scoring gold
answers derived from the station files by :class:`rewardmap.metro.RoutePlanner`.
"""

from __future__ import annotations

import colorsys
import itertools
import json
import re
import time
from collections import Counter

import pytest
from PIL import Image

from rewardmap.cli import main
from rewardmap.errors import ConfigError
from rewardmap.metro import RoutePlanner, load_network, network_to_mapping
from rewardmap.metro.names import split_tags
from rewardmap.synth import MINI_PRESET, CitySpec, generate_city, network_difficulty, render_map, write_cities

GLYPH = re.compile(r"^[A-Z][1-9]?$")
SUFFIX = " Station"
N_CITIES = 12


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    out = tmp_path_factory.mktemp("mini")
    return out, write_cities(out, N_CITIES, seed=0, preset="mini")


def _label(file_name: str) -> str:
    assert file_name.endswith(SUFFIX), file_name
    return file_name[: -len(SUFFIX)]


def test_station_files_are_small_cities_with_glyph_labels_and_transfers(mini):
    _, written = mini
    line_counts = Counter()
    for w in written:
        net = load_network(w.stations)
        assert not net.warnings, net.warnings
        lo, hi = MINI_PRESET["lines"]
        assert lo <= net.city_line_count <= hi
        line_counts[net.city_line_count] += 1
        for line in net.lines.values():
            assert 4 <= len(line.entries) <= 8, (w.city, line.name, len(line.entries))
            assert re.fullmatch(r"[A-Z][a-z]+", line.name), line.name  # "Red", "Blue": short colour words
        labels = [_label(s.name) for s in net.stations.values()]
        assert all(GLYPH.match(lb) for lb in labels), labels
        assert len(set(labels)) == len(labels)
        assert net.transfer_stations(), f"{w.city} has no transfer station"
        # the transfer tags in the file are exactly the stations several lines share
        shared = {s.name for s in net.transfer_stations()}
        for raw in itertools.chain.from_iterable(network_to_mapping(net).values()):
            st, transfer, _ = split_tags(raw)
            assert transfer == (st in shared), raw
    assert set(line_counts) == {3, 4, 5}  # write_cities cycles the line count


def test_map_difficulty_is_the_existing_rule(mini):
    _, written = mini
    seen = set()
    for w in written:
        net = load_network(w.stations)
        geom = json.loads(w.geometry.read_text(encoding="utf-8"))
        label = network_difficulty(net)
        assert geom["difficulty_city"] == w.difficulty_city == label
        assert label == ("easy" if net.city_line_count <= 3 else "middle")  # 4-5 lines, < 15 transfer stations
        seen.add(label)
    assert seen == {"easy", "middle"}


def _dark_rows(px, box, width, height) -> list[int]:
    """Rows of ``box`` holding near-black, unsaturated pixels (label ink; tracks are saturated colours)."""
    x0, y0, x1, y1 = (round(v) for v in box)
    return [y for y in range(max(0, y0 - 1), min(height, y1 + 2))
            if any(max(px[x, y]) < 110 and max(px[x, y]) - min(px[x, y]) < 40
                   for x in range(max(0, x0 - 1), min(width, x1 + 2)))]


def test_maps_are_small_with_big_legible_labels(mini):
    _, written = mini
    heights = []
    for w in written:
        image = Image.open(w.map).convert("RGB")
        assert max(image.size) == 224 and min(image.size) >= 112, image.size
        geom = json.loads(w.geometry.read_text(encoding="utf-8"))
        assert geom["badges"] == []  # no terminus badges: their letters would read as station labels
        net = load_network(w.stations)
        assert sorted(lb["text"] for lb in geom["labels"]) == sorted(_label(s.name) for s in net.stations.values())
        px = image.load()
        for lb in geom["labels"]:
            rows = _dark_rows(px, lb["box"], *image.size)
            assert rows, lb
            heights.append(max(rows) - min(rows) + 1)
        boxes = [lb["box"] for lb in geom["labels"]] + [s["box"] for s in geom["stations"]]
        for i, a in enumerate(geom["labels"]):
            x0, y0, x1, y1 = a["box"]
            assert 0 <= x0 < x1 <= image.size[0] and 0 <= y0 < y1 <= image.size[1]
            for j, b in enumerate(boxes):
                if i != j:
                    assert not (x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1), (a, b)
    heights.sort()
    # capitals and digits of 7+ px, most of 8+ px: one glyph fills most of a 14-px vision patch
    assert heights[0] >= 7 and heights[len(heights) // 10] >= 8, heights[:20]


def test_line_colours_are_saturated_and_distinct_on_the_image(mini):
    _, written = mini
    for w in written:
        image = Image.open(w.map).convert("RGB")
        px = image.load()
        geom = json.loads(w.geometry.read_text(encoding="utf-8"))
        seen = []
        for line in geom["lines"]:
            samples = []
            for path in line["paths"]:
                for (x0, y0), (x1, y1) in itertools.pairwise(path):
                    samples.append(px[int(x0 + (x1 - x0) * 0.5), int(y0 + (y1 - y0) * 0.5)])
            rgb = Counter(samples).most_common(1)[0][0]  # the colour actually drawn between two markers
            _, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
            assert s >= 0.5 and v >= 0.4, (line["name"], rgb)
            for other in seen:
                assert sum(abs(a - b) for a, b in zip(rgb, other)) >= 90, (line["name"], rgb, other)
            seen.append(rgb)


def test_same_seed_same_bytes_and_cli_equals_api(mini, tmp_path):
    out, written = mini
    assert main(["synth", "--preset", "mini", "--cities", str(N_CITIES), "--out", str(tmp_path), "--seed", "0"]) == 0
    for w in written:
        for path in (w.map, w.stations, w.geometry):
            again = tmp_path / path.relative_to(out)
            assert again.read_bytes() == path.read_bytes(), path
    other = write_cities(tmp_path / "seed1", 3, seed=1, preset="mini")
    assert [w.map.read_bytes() for w in other] != [w.map.read_bytes() for w in written[:3]]


def test_many_distinct_cities_quickly(tmp_path):
    start = time.perf_counter()
    train = write_cities(tmp_path / "train", 40, seed=0, preset="mini")
    held_out = write_cities(tmp_path / "eval", 8, seed=1, preset="mini")
    elapsed = time.perf_counter() - start
    assert elapsed < 30, elapsed  # about 0.04 s a city on one core; generous for a shared CI machine
    assert len({w.city for w in train}) == 40 and len({w.city for w in held_out}) == 8
    mappings = {json.dumps(network_to_mapping(load_network(w.stations)), sort_keys=True) for w in train + held_out}
    assert len(mappings) == 48  # 48 different networks


def test_data_build_makes_all_six_types_and_the_reward_scores_them(mini, tmp_path):
    from datasets import load_from_disk

    from rewardmap.scoring import score_response

    out, written = mini
    assert main(["data", "build", "--stations", str(out / "stations"), "--out", str(tmp_path), "--quiet"]) == 0
    plus = load_from_disk(str(tmp_path / "reasonmap-plus"))
    reasonmap = load_from_disk(str(tmp_path / "reasonmap"))
    train = load_from_disk(str(tmp_path / "reasonmap-train"))["train"]
    assert {"TorF1", "TorF2", "Counting1", "Counting2", "Counting3"} <= {t for s in plus.values() for t in s["type"]}
    assert sum(len(s) for s in reasonmap.values()) > 0
    rows = train.remove_columns([c for c in ("figure",) if c in train.column_names])
    assert set(rows["type"]) == {"TorF1", "TorF2", "Counting1", "Counting2", "Counting3", "planning"}
    labels = {w.city: w.difficulty_city for w in written}
    nets = {}
    transfers = Counter()
    for row in rows:
        assert row["difficulty_city"] == labels[row["city"]]
        if row["type"] != "planning":
            if row["type"].startswith("TorF"):
                gold, wrong = ("yes", "no") if row["answer"] == 1 else ("no", "yes")
            elif row["type"] == "Counting1":
                gold, wrong = "ABCD"[row["answer"]], "ABCD"[(row["answer"] + 1) % 4]
            else:
                gold, wrong = str(row["answer"]), str(row["answer"] + 1)
            assert score_response(f"\\boxed{{{gold}}}", row, stations_root=tmp_path).correct, row
            assert not score_response(f"\\boxed{{{wrong}}}", row, stations_root=tmp_path).correct, row
            continue
        net = nets.setdefault(row["json"], load_network(tmp_path / row["json"]))
        route = RoutePlanner(net).optimal_routes(row["station_1"], row["station_2"])[0]
        assert len(route.legs) - 1 == row["question_transfer_count"]
        assert row["difficulty_question"] == ("easy", "middle", "hard")[min(2, row["question_transfer_count"])]
        transfers[row["question_transfer_count"]] += 1
        assert score_response(route.to_answer(), row, stations_root=tmp_path).correct, row
        reversed_route = route.to_answer().replace(row["station_1"], "@").replace(row["station_2"], row["station_1"])
        assert not score_response(reversed_route.replace("@", row["station_2"]), row,
                                  stations_root=tmp_path).correct
    assert transfers[0] and transfers[1], transfers


def test_mini_sizes_and_standard_minimum(tmp_path):
    city = generate_city(CitySpec(lines=3, stations_per_line=(4, 6), naming="glyph", line_naming="short",
                                  layout="mini", seed=3))
    assert max(render_map(city).size) == 224  # size="auto" is 224 px for a mini city
    assert max(render_map(city, 112).size) == 112 and max(render_map(city, 96).size) == 96
    with pytest.raises(ConfigError, match="96"):
        render_map(city, 95)
    standard = generate_city(CitySpec(lines=2, stations_per_line=(5, 6), seed=3))
    with pytest.raises(ConfigError, match="256"):
        render_map(standard, 224)
    with pytest.raises(ConfigError, match="layout"):
        generate_city(CitySpec(layout="tiny"))
    assert main(["synth", "--preset", "mini", "--difficulty", "hard", "--out", str(tmp_path)]) == 1


def test_crowded_mini_lines_are_regrown_rather_than_cut_short():
    """A line that runs out of room is regrown, never written shorter than the preset's range (the standard layout
    accepts 60 % of the target)."""
    lengths = Counter()
    for seed in range(20):
        city = generate_city(CitySpec(lines=5, stations_per_line=(8, 8), naming="glyph", line_naming="short",
                                      layout="mini", seed=seed))
        lengths.update(len(ln.entries) for ln in load_network_of(city).lines.values())
    assert set(lengths) == {8}, lengths


def load_network_of(city):
    """The city's network as its station file gives it (written and re-read), not the generator's object."""
    import tempfile
    from pathlib import Path

    from rewardmap.metro import save_network

    with tempfile.TemporaryDirectory() as tmp:
        return load_network(save_network(city.network, Path(tmp) / "stations" / "x" / f"{city.name}.json"))
