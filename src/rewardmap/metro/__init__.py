"""The transit-network domain, with no ML dependency: stations, lines, networks, names, routes, validation."""

from rewardmap.metro.io import (
    iter_station_files,
    load_cities,
    load_network,
    network_from_mapping,
    network_to_mapping,
    save_network,
)
from rewardmap.metro.names import (
    canonical_line,
    canonical_station,
    clean_eval,
    clean_reward,
    split_tags,
    strip_tags_official,
)
from rewardmap.metro.network import DataWarning, Line, Network, Station, StopEntry
from rewardmap.metro.routes import (
    Leg,
    Route,
    RoutePlanner,
    alternative_routes,
    optimal_routes,
    question_difficulty,
)
from rewardmap.metro.topology import KNOWN_TOPOLOGY, TopologyHints, hints_for
from rewardmap.metro.validation import RouteCheck, RouteSection, check_route, cleaned_stops, resolve_route_name

__all__ = [
    "KNOWN_TOPOLOGY", "DataWarning", "Leg", "Line", "Network", "Route", "RouteCheck", "RoutePlanner",
    "RouteSection", "Station", "StopEntry", "TopologyHints", "alternative_routes", "canonical_line",
    "canonical_station", "check_route", "clean_eval", "clean_reward", "cleaned_stops", "hints_for",
    "iter_station_files", "load_cities", "load_network", "network_from_mapping", "network_to_mapping",
    "optimal_routes", "question_difficulty", "resolve_route_name", "save_network", "split_tags",
    "strip_tags_official",
]
