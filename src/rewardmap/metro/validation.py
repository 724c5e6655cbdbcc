"""Route validation: ReasonMap's accuracy algorithm (RS-paper Algorithm 1; paper-spec §1.5).

A route answer is correct unless (1) its first departure is not the origin or its last arrival not the
destination, (2) a section names a line that is not in the station file or a stop that is not on that line, or
(3) a section's arrival differs from the next section's departure. Stop *order* is not checked (as released).

Choices, each named:

* ``cleaner``: ``"eval"`` (ReasonMap ``tools.clean_string``, the benchmark's accuracy), ``"reward"`` (RewardMap's
  more lenient ``clean_string``, the training reward's accuracy) or ``"canonical"`` (ours).
* ``line_names``: ``"official"`` (exact station-file key; only 八通 → Line 1 and 大兴 → Line 4) or ``"alias"`` (the
  paper's B.1 corrections, "Line 1" = "Route 1" = "1", via our canonical line matcher).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rewardmap.errors import RewardMapError
from rewardmap.metro.names import canonical_station, clean_eval, clean_reward, official_route_name, strip_tags_official
from rewardmap.metro.network import Network

CLEANERS: dict[str, Callable[[str], str]] = {
    "eval": clean_eval,
    "reward": clean_reward,
    "canonical": canonical_station,
}
LINE_NAME_MODES = ("official", "alias")


class SectionLike(Protocol):
    route_name: str
    departure: str
    arrival: str


@dataclass(frozen=True)
class RouteSection:
    """One parsed section of a route answer."""

    route_name: str
    departure: str
    arrival: str


@dataclass(frozen=True)
class RouteCheck:
    """The verdict of :func:`check_route`; ``reason`` says which rule failed and ``section`` where."""

    valid: bool
    reason: str = ""
    section: int | None = None

    def __bool__(self) -> bool:
        return self.valid


def _cleaner(name: str) -> Callable[[str], str]:
    try:
        return CLEANERS[name]
    except KeyError:
        raise RewardMapError(f"unknown cleaner {name!r}; expected one of {', '.join(CLEANERS)}") from None


def cleaned_stops(network: Network, cleaner: str = "eval") -> dict[str, frozenset[str]]:
    """Per line, the set of cleaned stop names (as the official code: tags removed by ``str.replace``, then the
    cleaner), cached on the network per cleaner."""
    key = ("cleaned_stops", cleaner)
    found = network.cache.get(key)
    if found is None:
        clean = _cleaner(cleaner)
        found = {name: frozenset(clean(strip_tags_official(e.raw)) for e in line.entries)
                 for name, line in network.lines.items()}
        network.cache[key] = found
    return found


def resolve_route_name(network: Network, name: str, line_names: str = "official") -> str | None:
    """The station-file line key a route name denotes, or None."""
    if line_names == "official":
        key = official_route_name(name)
        return key if key in network.lines else None
    if line_names == "alias":
        found = network.resolve_line(official_route_name(name))
        return found.name if found else None
    raise RewardMapError(f"unknown line-name mode {line_names!r}; expected one of {', '.join(LINE_NAME_MODES)}")


def check_route(network: Network, sections: Sequence[SectionLike], origin: str, destination: str, *,
                cleaner: str = "eval", line_names: str = "official") -> RouteCheck:
    """ReasonMap's accuracy algorithm over parsed sections (see module doc). Never raises on bad sections."""
    if not sections:
        return RouteCheck(False, "no route section")
    clean = _cleaner(cleaner)
    if clean(sections[0].departure) != clean(origin):
        return RouteCheck(False, "first departure is not the origin", 0)
    if clean(sections[-1].arrival) != clean(destination):
        return RouteCheck(False, "last arrival is not the destination", len(sections) - 1)
    stops = cleaned_stops(network, cleaner)
    for i, sec in enumerate(sections):
        key = resolve_route_name(network, sec.route_name, line_names)
        if key is None:
            return RouteCheck(False, f"line {sec.route_name!r} is not in the station file", i)
        if clean(sec.departure) not in stops[key] or clean(sec.arrival) not in stops[key]:
            return RouteCheck(False, f"a stop of section {i + 1} is not on {key}", i)
        if i + 1 < len(sections) and clean(sec.arrival) != clean(sections[i + 1].departure):
            return RouteCheck(False, f"section {i + 1} ends where section {i + 2} does not start", i)
    return RouteCheck(True)
