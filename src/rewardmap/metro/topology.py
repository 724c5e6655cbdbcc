"""Topology the flat station files cannot express, for the real ReasonMap cities.

Each entry was checked against the city's network: ``loops`` are lines that run in a circle although the file does
not repeat the first station (Beijing style); ``branch_arms`` name the first stop of the arm that the file appends
after the other arm (data-schema §5.3). Lines with a branch tag that are not listed here (Hefei Line 4, Kunming
Line 1) keep a ``branch_split_unknown`` warning: their arm split could not be confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopologyHints:
    """Loops and branch arms for one city (see module doc)."""

    loops: tuple[str, ...] = ()
    branch_arms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    homonyms: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)


KNOWN_TOPOLOGY: dict[tuple[str, str], TopologyHints] = {
    ("china", "beijing"): TopologyHints(loops=("Line 2", "Line 10")),
    ("china", "shanghai"): TopologyHints(branch_arms={"Line 10": ("龙柏新村站",)}),
    ("china", "dalian"): TopologyHints(branch_arms={"Line 3": ("通世泰站",)}),
    ("united_arab_emirates", "dubai"): TopologyHints(branch_arms={"Red Line": ("lbn Battuta Station",)}),
    ("singapore", "singapore"): TopologyHints(branch_arms={"Circle Line": ("Bayfront Station",)}),
    ("italy", "rome"): TopologyHints(branch_arms={"Line B": ("S. Agnese Annibaliano Station",)}),
}


def hints_for(country: str, city: str) -> TopologyHints:
    """Bundled hints for a real city, or empty hints."""
    return KNOWN_TOPOLOGY.get((country, city), TopologyHints())
