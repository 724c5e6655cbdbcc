"""``rewardmap network show FILE`` and ``rewardmap route FILE A B``."""

from __future__ import annotations

import argparse
import sys

from rewardmap.metro.io import load_network
from rewardmap.metro.routes import RoutePlanner
from rewardmap.metro.validation import check_route


def register(sub: argparse._SubParsersAction) -> None:
    net = sub.add_parser("network", help="inspect a ReasonMap station file")
    net_sub = net.add_subparsers(dest="network_command", metavar="ACTION")
    show = net_sub.add_parser("show", help="lines, stations, transfers and data warnings of a station file")
    show.add_argument("file", help="stations/<country>/<city>.json")
    show.add_argument("--stations", action="store_true", help="list every station of every line")
    show.set_defaults(func=_show)
    net.set_defaults(func=lambda a: (net.print_help(), 2)[1])

    route = sub.add_parser("route", help="optimal routes between two stations, in ReasonMap's answer format")
    route.add_argument("file", help="stations/<country>/<city>.json")
    route.add_argument("origin")
    route.add_argument("destination")
    route.add_argument("--template", choices=("short", "long1", "long2"), default="short",
                       help="answer format: short (default), long1 (+ number of via stops), long2 (+ via stops)")
    route.add_argument("--alternatives", type=int, default=0, metavar="K", help="also print K next-best routes")
    route.set_defaults(func=_route)


def _show(args: argparse.Namespace) -> int:
    network = load_network(args.file)
    print(f"{network.country}/{network.city}: {network.city_line_count} lines, {len(network.stations)} stations, "
          f"{len(network.transfer_stations())} transfer stations, city_transfer_count={network.city_transfer_count}")
    width = max(len(n) for n in network.lines)
    for name, line in network.lines.items():
        kind = "loop" if line.loop else ("branched" if line.has_branch else "")
        ends = f"{network.stations[line.keys[0]].name} — {network.stations[line.keys[-1]].name}"
        print(f"  {name:<{width}}  {len(line):>3} stations  {kind:<8}  {ends}")
        if args.stations:
            for k in line.keys:
                st = network.stations[k]
                others = [x for x in st.lines if x != name]
                print(f"      {st.name}" + (f"  ⇄ {', '.join(others)}" if others else ""))
    transfers = sorted(network.transfer_stations(), key=lambda s: (-len(s.lines), s.name))
    print("transfer stations:")
    for st in transfers:
        print(f"  {st.name}: {', '.join(st.lines)}")
    print(f"data warnings ({len(network.warnings)}):")
    for w in network.warnings:
        print(f"  {w}")
    return 0


def _route(args: argparse.Namespace) -> int:
    network = load_network(args.file)
    missing = [name for name in (args.origin, args.destination) if network.resolve_station(name) is None]
    if missing:
        for name in missing:
            suggestions = network.suggest_stations(name)
            hint = f" — did you mean: {', '.join(suggestions)}?" if suggestions else ""
            print(f"error: unknown station {name!r} in {network.city}{hint}", file=sys.stderr)
        return 1
    planner = RoutePlanner(network)
    origin, destination = network.station(args.origin), network.station(args.destination)
    if origin.key == destination.key:
        print(f"error: origin and destination are the same station ({origin.name})", file=sys.stderr)
        return 1
    routes = planner.optimal_routes(origin, destination)
    if not routes:
        print(f"error: no route from {origin.name} to {destination.name}", file=sys.stderr)
        return 1
    for i, r in enumerate(routes):
        assert check_route(network, _sections(r), origin.name, destination.name), "planner produced an invalid route"
        if len(routes) > 1:
            print(f"# optimal route {i + 1} of {len(routes)}: {r.transfers} transfer(s), {r.stops} stops")
        print(r.to_answer(args.template))
        if i + 1 < len(routes):
            print()
    if args.alternatives:
        for i, r in enumerate(planner.alternative_routes(origin, destination, args.alternatives)):
            print(f"\n# alternative {i + 1}: {r.transfers} transfer(s), {r.stops} stops")
            print(r.to_answer(args.template))
    return 0


def _sections(route):
    from rewardmap.metro.validation import RouteSection

    return [RouteSection(leg.line, leg.departure, leg.arrival) for leg in route.legs]
