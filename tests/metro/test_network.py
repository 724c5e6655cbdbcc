"""The network model: tags, stations, transfers, branches, loops, counts, and bad input."""

from __future__ import annotations

import json

import pytest

from rewardmap.errors import RewardMapError, StationFileError, UnknownStationError
from rewardmap.metro import Network, load_network, network_to_mapping, save_network, split_tags


def names(stations):
    return [s.name for s in stations]


def test_split_tags_handles_both_spellings_and_keeps_other_parentheses():
    assert split_tags("Promenade Station (Transfer Station) (Branch-starting Station)") == (
        "Promenade Station", True, True)
    assert split_tags("Court St Station(Transfer Station)") == ("Court St Station", True, False)
    assert split_tags("东管头南站 （换乘站）") == ("东管头南站", True, False)
    assert split_tags("开发区站（支线起始站）") == ("开发区站", False, True)
    assert split_tags("四方河（省中医院）站") == ("四方河（省中医院）站", False, False)
    assert split_tags("Cathedral Pkwy (110 St) Station") == ("Cathedral Pkwy (110 St) Station", False, False)


def test_transfers_are_stations_on_several_lines(toy_network):
    net = toy_network
    assert net.lines_through("Bravo Station") == ("Line 1", "Line 2")
    assert {s.name for s in net.transfer_stations()} == {"Bravo Station", "Delta Station", "Juliet Station"}
    assert net.city_line_count == 3
    # tagged entries, once per raw list entry (the loop's closing repeat included); branch tags count too
    assert net.city_transfer_count == 2 + 2 + 2


def test_branch_is_read_as_a_fork(toy_network):
    net = toy_network
    # Hotel and Juliet are on different arms of the fork at Golf: the track path goes through Golf
    assert names(net.stations_between("Hotel Station", "Juliet Station", "Line 2")) == ["Golf Station"]
    assert names(net.stations_between("Bravo Station", "Kilo Station", "Line 2")) == [
        "Golf Station", "Juliet Station"]
    # list slicing would have said India is next to Juliet: the track graph says no
    assert names(net.stations_between("India Station", "Juliet Station", "Line 2")) == [
        "Hotel Station", "Golf Station"]


def test_branch_without_hint_is_one_path_with_a_warning():
    net = Network.from_lines({"L": ["A", "B (Branch-starting Station)", "C", "D", "E"]})
    assert [w.code for w in net.warnings] == ["branch_split_unknown"]
    assert names(net.stations_between("A", "E", "L")) == ["B", "C", "D"]


def test_closed_loop_takes_the_shorter_way_round(toy_network):
    net = toy_network
    line = net.lines["Circle Line"]
    assert line.loop and line.closed_in_file and len(line) == 5
    assert names(net.stations_between("Delta Station", "November Station", "Circle Line")) == []
    assert names(net.stations_between("Lima Station", "November Station", "Circle Line")) == ["Delta Station"]


def test_open_loop_needs_a_hint():
    lines = {"Ring": ["A", "B", "C", "D", "E", "F"]}
    assert names(Network.from_lines(lines).stations_between("A", "F", "Ring")) == ["B", "C", "D", "E"]
    assert names(Network.from_lines(lines, loops=["Ring"]).stations_between("A", "F", "Ring")) == []


def test_homonyms_are_distinct_stations_when_declared():
    lines = {"1": ["96 St Station", "125 St Station", "137 St Station"],
             "A": ["59 St Station", "125 St Station", "145 St Station"]}
    merged = Network.from_lines(lines)
    assert merged.station("125 St Station").lines == ("1", "A")
    assert any(w.code == "untagged_shared_name" for w in merged.warnings)
    split = Network.from_lines(lines, homonyms={"125 St Station": [["1"], ["A"]]})
    found = split.stations_named("125 St")
    assert [s.lines for s in found] == [("1",), ("A",)]
    assert not split.transfer_stations()


def test_name_variants_merge_with_a_warning():
    net = Network.from_lines({"1": ["西单", "复兴门站"], "4": ["西单站（换乘站）", "灵境胡同站"]})
    assert net.station("西单站").lines == ("1", "4")
    assert any(w.code == "name_variants" for w in net.warnings)


def test_resolve_station_is_tolerant_and_suggests(toy_network):
    net = toy_network
    assert net.resolve_station("ＢＲＡＶＯ") is net.station("Bravo Station")
    assert net.resolve_station("bravo station ") is net.station("Bravo Station")
    assert net.resolve_station("Zulu") is None
    assert net.suggest_stations("Bravoo")[0] == "Bravo Station"
    with pytest.raises(UnknownStationError, match="Bravo Station"):
        net.station("Brav")


def test_line_aliases(toy_network):
    assert toy_network.line("Route 1").name == "Line 1"
    assert toy_network.line("1").name == "Line 1"
    assert toy_network.line("1号线").name == "Line 1"
    assert toy_network.resolve_line("circle").name == "Circle Line"


def test_round_trip_is_lossless(tmp_path, toy_network):
    path = save_network(toy_network, tmp_path / "stations" / "testland" / "toyville.json")
    again = load_network(path, hints=None)
    assert network_to_mapping(again) == network_to_mapping(toy_network)
    assert json.loads(path.read_text(encoding="utf-8"))["Circle Line"][-1] == "Delta Station (Transfer Station)"


@pytest.mark.parametrize("content, fragment", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"Line 1": "A Station"}', "line 'Line 1': expected a list"),
    ('{"Line 1": []}', "line 'Line 1': the line has no stations"),
    ('{"Line 1": ["A", 3]}', "line 'Line 1': entry 1 is int"),
    ('{"Line 1": ["A", " (Transfer Station)"]}', "empty station name"),
    ("{}", "defines no lines"),
])
def test_bad_station_files_name_the_file_and_line(tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StationFileError) as info:
        load_network(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)
    assert isinstance(info.value, RewardMapError)


def test_a_name_twice_on_one_line_is_two_stations_with_a_warning(tmp_path):
    """New York's B line lists two distinct "7 Av" stations: the file loads (the released code keeps both entries),
    the repeat is a station of its own on that line, and routes through it stay right."""
    path = tmp_path / "ny.json"
    path.write_text('{"B": ["7 Av", "Prospect", "7 Av", "Church"], "Q": ["7 Av", "Times Sq"]}', encoding="utf-8")
    net = load_network(path)
    assert [w.code for w in net.warnings if w.code == "repeated_name"] == ["repeated_name"]
    assert len(net.lines["B"]) == 4 and len(net.stations) == 5
    assert net.line("B").keys[0] != net.line("B").keys[2]
    from rewardmap.metro import RoutePlanner

    route = RoutePlanner(net).optimal_routes("Times Sq", "Church")[0]
    assert route.transfers == 1 and route.legs[0].line == "Q"


def test_missing_file_is_a_station_file_error(tmp_path):
    with pytest.raises(StationFileError, match="file not found"):
        load_network(tmp_path / "nope.json")
