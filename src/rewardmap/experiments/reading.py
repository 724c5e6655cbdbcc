"""Generic map reading: the supervised pre-training tasks of the miniature experiment's base policy.

The paper starts RL from an instruction-tuned VLM that can already read a map a little and knows answer formats.
No such model exists here, so the base policy learns *generic* map reading on cities of its own (never the RL or
evaluation cities), with questions that are **not** the six evaluation types:

* ``line_stops``   — "which stations does line L serve, in order?"           → ``\\boxed{A, B7, K}``
* ``station_lines``— "which lines stop at S?"                                 → ``\\boxed{Red, Blue}``
* ``next_stop``    — "which station comes right after S on line L, towards T?" → ``\\boxed{X}``
* ``on_map``       — "is S a station of this map?" (yes/no format)            → ``\\boxed{yes}``
* ``pick_station`` — "which of these stations is on line L?" (A–D format)     → ``\\boxed{C}``
* ``ride``         — "how do I ride the line L from A to B?" in the route question's format → one section
* ``ride2``        — "… from A to C, the line L1 to T, then the line L2?"     → two sections, lines and transfer given

They teach what an instruct model brings — reading labels and colours, the ``\\boxed{}``, A–D and route formats —
without the evaluation questions' decisions (which line joins two stations, where to change, how many stops).
Pure Python (no torch): rows are plain dicts; :func:`reading_dataset` makes the ``datasets.Dataset``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rewardmap.metro.network import Network

TASKS = ("line_stops", "station_lines", "next_stop", "on_map", "pick_station", "ride", "ride2")

_BOXED = 'Please solve the problem and put your answer in one "\\boxed{}". '
_YESNO = 'Please solve the problem and put your answer (only answer yes or no) in one "\\boxed{}". '
_CHOICE = 'Please solve the multiple choice problem and put your answer (one of ABCD) in one "\\boxed{}". '


@dataclass(frozen=True)
class ReadingExample:
    """One pre-training question about one map."""

    task: str
    figure: str          # the map, relative to the world root (as the datasets' ``figure``)
    question: str
    answer: str          # the full target completion

    def to_row(self) -> dict:
        return {"task": self.task, "figure": self.figure, "question": self.question, "answer": self.answer}


def _names(stations) -> list[str]:
    return [s.name for s in stations]


def _line_stops(net: Network, rng: random.Random) -> tuple[str, str]:
    line = rng.choice(sorted(net.lines))
    stops = _names(net.stations_on(line))
    return (_BOXED + f"According to the subway map, which stations does the line {line} serve, in order?",
            "\\boxed{" + ", ".join(stops) + "}")


def _station_lines(net: Network, rng: random.Random) -> tuple[str, str]:
    station = net.stations[rng.choice(sorted(net.stations))]
    return (_BOXED + f"According to the subway map, which lines stop at {station.name}?",
            "\\boxed{" + ", ".join(station.lines) + "}")


def _next_stop(net: Network, rng: random.Random) -> tuple[str, str] | None:
    line = rng.choice(sorted(net.lines))
    stops = _names(net.stations_on(line))
    if len(stops) < 3:
        return None
    i = rng.randrange(len(stops) - 1)
    if rng.random() < 0.5:
        a, nxt, end = stops[i], stops[i + 1], stops[-1]
    else:
        stops = stops[::-1]
        a, nxt, end = stops[i], stops[i + 1], stops[-1]
    if nxt == end and rng.random() < 0.5:
        return None
    return (_BOXED + f"According to the subway map, which station comes right after {a} on the line {line}, "
            f"going towards {end}?", "\\boxed{" + nxt + "}")


def _on_map(net: Network, rng: random.Random, foreign: Sequence[str]) -> tuple[str, str] | None:
    here = sorted(s.name for s in net.stations.values())
    others = [n for n in foreign if n not in set(here)]
    if rng.random() < 0.5 or not others:
        return (_YESNO + f"According to the subway map, is {rng.choice(here)} a station of this map?",
                "\\boxed{yes}")
    return (_YESNO + f"According to the subway map, is {rng.choice(others)} a station of this map?", "\\boxed{no}")


def _pick_station(net: Network, rng: random.Random) -> tuple[str, str] | None:
    line = rng.choice(sorted(net.lines))
    on = set(_names(net.stations_on(line)))
    off = sorted({s.name for s in net.stations.values()} - on)
    if len(off) < 3:
        return None
    options = [rng.choice(sorted(on)), *rng.sample(off, 3)]
    rng.shuffle(options)
    right = next(k for k, o in enumerate(options) if o in on)
    listing = "".join(f"\n{letter}) {o} " for letter, o in zip("ABCD", options))
    return (_CHOICE + f"According to the subway map, which of these stations is on the line {line}? {listing}\n",
            "\\boxed{" + "ABCD"[right] + "}")


def _route_format(a: str, b: str) -> str:
    """The route question's instructions and format block (ReasonMap's short template), without its question."""
    from rewardmap.tasks.templates import planning_question

    return planning_question(a, b, "short").split("? ", 1)[1]


def _ride(net: Network, rng: random.Random) -> tuple[str, str] | None:
    line = rng.choice(sorted(net.lines))
    stops = _names(net.stations_on(line))
    if len(stops) < 2:
        return None
    a, b = rng.sample(stops, 2)
    return (f"According to the subway map, how do I ride the line {line} from {a} to {b}? " + _route_format(a, b),
            f"Route Name: {line}\nDeparture Stop: {a}\nArrival Stop: {b}")


def _ride2(net: Network, rng: random.Random) -> tuple[str, str] | None:
    """Two sections with the lines and the transfer station given: the format of a route with a change, not the
    decision of where to change."""
    l1, l2 = rng.sample(sorted(net.lines), 2) if len(net.lines) >= 2 else (None, None)
    if l1 is None:
        return None
    first, second = _names(net.stations_on(l1)), _names(net.stations_on(l2))
    shared = sorted(set(first) & set(second))
    if not shared:
        return None
    t = rng.choice(shared)
    starts = [x for x in first if x not in second]
    ends = [x for x in second if x not in first]
    if not starts or not ends:
        return None
    a, c = rng.choice(starts), rng.choice(ends)
    return (f"According to the subway map, how do I go from {a} to {c} on the line {l1} to {t}, then the line "
            f"{l2}? " + _route_format(a, c),
            f"Route Name: {l1}\nDeparture Stop: {a}\nArrival Stop: {t}\n--\n"
            f"Route Name: {l2}\nDeparture Stop: {t}\nArrival Stop: {c}")


def departure_of(answer: str) -> str:
    """The station of the first ``Departure Stop:`` line of a ride answer (the one the ride question names)."""
    return next(line for line in answer.splitlines() if line.startswith("Departure Stop: ")).split(": ", 1)[1]


_MAKERS = {"line_stops": _line_stops, "station_lines": _station_lines, "next_stop": _next_stop,
           "pick_station": _pick_station, "ride": _ride, "ride2": _ride2}


def reading_examples(networks: Iterable[tuple[Network, str]], per_map: int, *, seed: int,
                     tasks: Sequence[str] = TASKS) -> list[ReadingExample]:
    """``per_map`` questions per ``(network, figure)`` pair, tasks cycled evenly; the same seed gives the same list.

    Station names for the "not on this map" questions come from the other maps of the call."""
    pairs = list(networks)
    pool = sorted({s.name for net, _ in pairs for s in net.stations.values()})
    rng = random.Random(f"rewardmap.reading/{seed}")
    out: list[ReadingExample] = []
    for net, figure in pairs:
        k = 0
        tries = 0
        while k < per_map and tries < per_map * 20:
            task = tasks[(k + tries) % len(tasks)]
            tries += 1
            made = _on_map(net, rng, pool) if task == "on_map" else _MAKERS[task](net, rng)
            if made is None:
                continue
            out.append(ReadingExample(task, figure, *made))
            k += 1
    return out


def reading_dataset(examples: Sequence[ReadingExample], root: str | Path, *, min_pixels: int, max_pixels: int):
    """The examples as a TRL prompt–completion ``datasets.Dataset`` with the map under ``image`` (resized as the
    training data is; each distinct map decoded once)."""
    import datasets

    from rewardmap.data.export import trl_prompt
    from rewardmap.data.loaders import resolve_figure

    cache: dict[str, object] = {}
    cols: dict[str, list] = {"prompt": [], "completion": [], "image": [], "task": []}
    for ex in examples:
        if ex.figure not in cache:
            cache[ex.figure] = resolve_figure(ex.figure, Path(root), min_pixels=min_pixels, max_pixels=max_pixels)
        cols["prompt"].append(trl_prompt(ex.question))
        cols["completion"].append([{"role": "assistant", "content": [{"type": "text", "text": ex.answer}]}])
        cols["image"].append(cache[ex.figure])
        cols["task"].append(ex.task)
    return datasets.Dataset.from_dict(cols, features=datasets.Features({
        "prompt": [{"role": datasets.Value("string"),
                    "content": [{"type": datasets.Value("string"), "text": datasets.Value("string")}]}],
        "completion": [{"role": datasets.Value("string"),
                        "content": [{"type": datasets.Value("string"), "text": datasets.Value("string")}]}],
        "image": datasets.Image(), "task": datasets.Value("string")}))
