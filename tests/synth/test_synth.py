"""rewardmap.synth: determinism, label geometry, line visibility, transfers, station-file round trip, CLI."""

from __future__ import annotations

import itertools
import json
import random

import pytest
from PIL import Image

from rewardmap.cli import main
from rewardmap.errors import ConfigError
from rewardmap.metro import RoutePlanner, RouteSection, check_route, load_network, network_to_mapping, save_network
from rewardmap.metro.names import split_tags
from rewardmap.synth import (
    CitySpec,
    generate_city,
    has_cjk_font,
    map_difficulty,
    network_difficulty,
    render_map,
    render_with_geometry,
    write_cities,
    write_city,
)
from rewardmap.synth.generator import file_station_name

# One spec with every topology feature: a loop, a branch, several transfers.
FULL = CitySpec(lines=5, stations_per_line=(9, 12), branches=1, loops=1, transfer_density=0.6, seed=11)


@pytest.fixture(scope="module")
def full_city():
    return generate_city(FULL)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    cities = [generate_city(FULL), generate_city(CitySpec(lines=3, stations_per_line=(8, 10), branches=1, seed=5,
                                                          naming="romance", line_naming="colour"))]
    return out, [write_city(c, out, size=900, style=style) for c, style in zip(cities, ("clean", "cluttered"))]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_same_seed_same_bytes_and_different_seed_differs(tmp_path):
    a = write_cities(tmp_path / "a", 2, seed=7, size=448, style="cluttered")
    b = write_cities(tmp_path / "b", 2, seed=7, size=448, style="cluttered")
    c = write_cities(tmp_path / "c", 2, seed=8, size=448, style="cluttered")
    for wa, wb in zip(a, b):
        for pa, pb in ((wa.map, wb.map), (wa.stations, wb.stations), (wa.geometry, wb.geometry)):
            assert pa.read_bytes() == pb.read_bytes(), pa
    assert [w.map.read_bytes() for w in a] != [w.map.read_bytes() for w in c]
    assert Image.open(a[0].map).size[0] == 448 or Image.open(a[0].map).size[1] == 448


def test_real_data_layout_and_sidecar_keys(written):
    out, ws = written
    for w in ws:
        assert w.map == out / "maps" / "synthland" / f"{w.city}.png"
        assert w.stations == out / "stations" / "synthland" / f"{w.city}.json"
        geom = json.loads(w.geometry.read_text(encoding="utf-8"))
        assert geom["difficulty_city"] in ("easy", "middle", "hard")
        assert geom["difficulty_city"] == w.difficulty_city
        assert set(geom["topology"]) == {"loops", "branch_arms"}
        net = load_network(w.stations)
        assert geom["city_line_count"] == net.city_line_count
        assert geom["city_transfer_count"] == net.city_transfer_count
        assert geom["difficulty_city"] == map_difficulty(net.city_line_count, len(net.transfer_stations()))
        assert network_difficulty(net) == geom["difficulty_city"]


def test_labels_inside_image_and_never_overlapping(written):
    for w in written[1]:
        geom = json.loads(w.geometry.read_text(encoding="utf-8"))
        width, height = geom["image"]["width"], geom["image"]["height"]
        assert Image.open(w.map).size == (width, height)
        boxes = [lb["box"] for lb in geom["labels"]]
        assert len(boxes) == len(geom["stations"])  # one label per station, none dropped
        for b in boxes + [bd["box"] for bd in geom["badges"]]:
            assert 0 <= b[0] < b[2] <= width and 0 <= b[1] < b[3] <= height, b
        others = boxes + [bd["box"] for bd in geom["badges"]] + [s["box"] for s in geom["stations"]]
        for i, a in enumerate(boxes):
            for j, b in enumerate(others):
                if i != j:
                    assert not _overlap(a, b), (geom["labels"][i], j)


def _colour_near(pixel, rgb, tol=60) -> bool:
    return sum(abs(int(p) - int(q)) for p, q in zip(pixel, rgb)) <= tol


@pytest.mark.parametrize("style", ["clean", "cluttered"])
@pytest.mark.parametrize("size", [448, 1024])
def test_every_line_is_visible_along_its_path(full_city, style, size):
    image, geom = render_with_geometry(full_city, size, style)
    px = image.load()
    for line in geom["lines"]:
        rgb = tuple(int(line["colour"][i:i + 2], 16) for i in (1, 3, 5))
        samples = hits = 0
        for path in line["paths"]:
            for (x0, y0), (x1, y1) in itertools.pairwise(path):
                for t in (0.35, 0.5, 0.65):  # between markers
                    samples += 1
                    hits += _colour_near(px[int(x0 + (x1 - x0) * t), int(y0 + (y1 - y0) * t)], rgb)
        assert samples and hits / samples >= 0.9, (line["name"], hits, samples)


def test_transfers_exactly_where_lines_share_a_station(full_city):
    net = full_city.network
    on_lines: dict[str, set[str]] = {}
    for ln in full_city.grid.lines:
        for p in ln.all_points:
            on_lines.setdefault(file_station_name(full_city.grid.names[p]), set()).add(ln.name)
    shared = {name for name, ls in on_lines.items() if len(ls) > 1}
    assert shared, "the spec asks for transfers"
    assert {s.name for s in net.transfer_stations()} == shared
    for name, entries in network_to_mapping(net).items():
        for raw in entries:
            st, transfer, _ = split_tags(raw)
            assert transfer == (st in shared), (name, raw)
    assert not net.warnings
    geom_transfer = {file_station_name(m.name) for m in full_city.layout.stations if m.transfer}
    assert geom_transfer == shared


def test_station_file_loads_with_topology_and_round_trips(written, tmp_path):
    for w in written[1]:
        net = load_network(w.stations)
        geom = json.loads(w.geometry.read_text(encoding="utf-8"))
        assert not net.warnings
        for loop in geom["topology"]["loops"]:
            assert net.lines[loop].loop
        for line, arms in geom["topology"]["branch_arms"].items():
            assert net.lines[line].has_branch and net.resolve_station(arms[0]) is not None
        copy = save_network(net, tmp_path / "stations" / "x" / f"{w.city}.json")
        assert copy.read_bytes() == w.stations.read_bytes()
        again = load_network(copy, hints=None)
        assert network_to_mapping(again) == network_to_mapping(net)
        # geometry lists the same stations per line as the station file
        for line in geom["lines"]:
            assert [s.name for s in net.stations_on(line["name"])] == line["stations"]


def test_branch_and_loop_tracks_route_correctly(full_city):
    net = full_city.network
    assert any(ln.loop for ln in net.lines.values()) and any(ln.has_branch for ln in net.lines.values())
    planner = RoutePlanner(net)
    names = sorted(s.name for s in net.stations.values())
    rng = random.Random(0)
    for _ in range(25):
        a, b = rng.sample(names, 2)
        routes = planner.optimal_routes(a, b)
        assert routes, (a, b)  # the network is connected
        r = routes[0]
        assert check_route(net, [RouteSection(leg.line, leg.departure, leg.arrival) for leg in r.legs], a, b)


def test_sizes_from_tiny_to_large():
    city = generate_city(CitySpec(lines=2, stations_per_line=(6, 8), seed=2))
    small = render_map(city, size=448)
    big = render_map(city, size=4096)
    assert max(small.size) == 448 and max(big.size) == 4096
    assert small.mode == big.mode == "RGB"


def test_map_difficulty_thresholds_match_known_real_labels(reasonmap_data):
    known = {("china", "dalian"): "middle", ("singapore", "singapore"): "hard", ("italy", "rome"): "easy",
             ("canada", "toronto"): "easy", ("portugal", "lisboa"): "middle", ("hungary", "budapest"): "middle",
             ("china", "beijing"): "hard", ("america", "los_angeles"): "hard", ("new_zealand", "auckland"): "easy",
             ("china", "hefei"): "middle", ("america", "miami"): "easy", ("china", "hangzhou"): "hard"}
    checked = 0
    for (country, city), label in known.items():
        path = reasonmap_data / "stations" / country / f"{city}.json"
        if not path.is_file():
            continue
        net = load_network(path)
        assert network_difficulty(net) == label, city
        checked += 1
    assert checked >= 3


def test_bad_specs_and_styles_are_config_errors(full_city):
    with pytest.raises(ConfigError, match="lines"):
        generate_city(CitySpec(lines=0))
    with pytest.raises(ConfigError, match="naming"):
        generate_city(CitySpec(naming="klingon"))
    with pytest.raises(ConfigError, match="style"):
        render_map(full_city, 448, "sketchy")
    with pytest.raises(ConfigError, match="size"):
        render_map(full_city, 10)


@pytest.mark.skipif(not has_cjk_font(), reason="no CJK font installed (pip install 'rewardmap[cjk]')")
def test_chinese_names_render_and_use_chinese_tags(tmp_path):
    city = generate_city(CitySpec(lines=3, stations_per_line=(7, 9), naming="chinese", seed=4))
    w = write_city(city, tmp_path, size=600)
    text = w.stations.read_text(encoding="utf-8")
    assert "（换乘站）" in text and "号线" in text and "Transfer Station" not in text
    assert all(s.name.endswith("站") for s in load_network(w.stations).stations.values())


def test_cli_writes_cities(tmp_path, capsys):
    rc = main(["synth", "--cities", "2", "--out", str(tmp_path), "--seed", "3", "--size", "448", "--lines", "3",
               "--stations", "6-8", "--style", "cluttered"])
    assert rc == 0
    assert len(list((tmp_path / "maps" / "synthland").glob("*.png"))) == 2
    assert len(list((tmp_path / "stations" / "synthland").glob("*.json"))) == 2
    assert "wrote 2 cities" in capsys.readouterr().out
    assert main(["synth", "--cities", "1", "--out", str(tmp_path), "--lines", "13"]) == 1


def test_same_bytes_across_processes_with_different_hash_seeds(tmp_path):
    """String hashing is randomised per process; nothing in generation or rendering may depend on it."""
    import hashlib
    import os
    import subprocess
    import sys

    code = ("import hashlib,sys; from rewardmap.synth import CitySpec, generate_city, write_city; "
            "w = write_city(generate_city(CitySpec(lines=4, branches=1, loops=1), seed=9), sys.argv[1], size=448, "
            "style='cluttered'); print(hashlib.sha256(w.map.read_bytes() + w.stations.read_bytes() + "
            "w.geometry.read_bytes()).hexdigest())")
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / hash_seed)], env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        digests.add(out)
    assert len(digests) == 1 and len(next(iter(digests))) == len(hashlib.sha256().hexdigest())


def test_chinese_style_without_a_cjk_font_is_a_clear_config_error(monkeypatch):
    import rewardmap.synth.fonts as fonts

    monkeypatch.setattr(fonts, "cjk_font_path", lambda: None)
    with pytest.raises(ConfigError, match=r"rewardmap\[cjk\]"):
        generate_city(CitySpec(lines=2, naming="chinese"))


def test_auto_size_gives_readable_label_scale(full_city):
    from rewardmap.synth.render import AUTO_PX_PER_UNIT

    image, geom = render_with_geometry(full_city)  # size="auto"
    assert max(image.size) >= 1024
    assert geom["image"]["pixels_per_grid_unit"] >= AUTO_PX_PER_UNIT - 0.5  # clamping only ever enlarges a small map
    label_heights = [b[3] - b[1] for b in (lb["box"] for lb in geom["labels"])]
    assert min(label_heights) >= 10  # even last-resort small labels stay legible
