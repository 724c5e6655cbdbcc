"""The simulated model behind ``rewardmap serve-sim``: it answers from the ground truth, with injected errors.

Given the dataset rows, a question text is looked up (exact text, whitespace-trimmed) and answered:

- ReasonMap planning: an optimal route from the metro planner on the row's station file, in the question's answer
  format (short, long with ``Number of Via Stops``, long with ``Via Stops``); among several optimal routes the one
  whose line sequence matches a reference plan of the row is preferred;
- ReasonMap-Plus: the gold answer in ``\\boxed{}`` (``yes``/``no``, ``A``–``D``, an integer).

Error kinds (each decided independently per question with a seeded generator, so the same question always gets the
same answer):

=================== =================================== ===============================================================
kind                applies to                          what the "model" does
=================== =================================== ===============================================================
``wrong_line``      planning, TorF1, TorF2              names a wrong line for one leg / answers the line question
                                                        the wrong way (yes↔no)
``misread_station`` planning                            misreads the destination as a neighbouring station
``missing_transfer`` planning with ≥1 transfer          rides through a transfer (two legs merged into one)
``off_by_one``      Counting1/2/3, planning long (via   count ±1 (Counting1: the option one away, else another wrong
                    count template)                     option); ``Number of Via Stops`` ±1 on one leg
``broken_format``   every type                          drops the required format (no ``Route Name:`` labels / no
                                                        ``\\boxed{}``)
=================== =================================== ===============================================================
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rewardmap.errors import ConfigError, DataError
from rewardmap.metro import Network, RoutePlanner, load_network, network_from_mapping
from rewardmap.metro.names import clean_eval

ERROR_KINDS = ("wrong_line", "misread_station", "missing_transfer", "off_by_one", "broken_format")
TASKS = ("planning", "TorF1", "TorF2", "Counting1", "Counting2", "Counting3")
#: which task types each error kind can touch (others are unaffected by it).
APPLIES_TO = {
    "wrong_line": ("planning", "TorF1", "TorF2"),
    "misread_station": ("planning",),
    "missing_transfer": ("planning",),
    "off_by_one": ("planning", "Counting1", "Counting2", "Counting3"),
    "broken_format": TASKS,
}


@dataclass(frozen=True)
class ErrorRates:
    """Error probability per kind, with optional per-task-type overrides (``overrides[(kind, task)]``)."""

    rates: Mapping[str, float] = field(default_factory=dict)
    overrides: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def rate(self, kind: str, task: str) -> float:
        if task not in APPLIES_TO[kind]:
            return 0.0
        return float(self.overrides.get((kind, task), self.rates.get(kind, 0.0)))

    @classmethod
    def parse(cls, items: Iterable[str]) -> ErrorRates:
        """Parse ``KIND=RATE`` or ``KIND:TASK=RATE`` items (CLI ``--error``)."""
        rates: dict[str, float] = {}
        overrides: dict[tuple[str, str], float] = {}
        for item in items:
            key, eq, value = item.partition("=")
            kind, _, task = key.strip().partition(":")
            try:
                rate = float(value)
            except ValueError:
                rate = -1.0
            if not eq or kind not in ERROR_KINDS or not 0.0 <= rate <= 1.0:
                raise ConfigError(f"--error {item!r}: expected KIND[:TASK]=RATE with KIND one of "
                                  f"{', '.join(ERROR_KINDS)} and 0 <= RATE <= 1")
            if task:
                if task not in TASKS:
                    raise ConfigError(f"--error {item!r}: unknown task type {task!r}; expected one of {', '.join(TASKS)}")
                overrides[(kind, task)] = rate
            else:
                rates[kind] = rate
        return cls(rates, overrides)

    def to_dict(self) -> dict:
        return {"rates": dict(self.rates), "overrides": {f"{k}:{t}": v for (k, t), v in self.overrides.items()}}


@dataclass(frozen=True)
class SimAnswer:
    """A simulated response and the errors injected into it."""

    text: str
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Entry:
    row: Mapping
    task: str        # planning or a Plus type
    template: str    # short / long1 / long2 for planning, "" for Plus


def _template_for(question: str, which: str) -> str:
    if which == "short":
        return "short"
    return "long1" if "Number of Via Stops:" in question else "long2"


class SimulatedModel:
    """Answers dataset questions from the ground truth with configurable errors.

    Args:
        rows: dataset rows (dicts) of ReasonMap and/or ReasonMap-Plus.
        root: folder that relative ``json`` station-file paths resolve against.
        errors: error rates.
        seed: seed of the per-question error decisions.
        think: wrap answers in ``<think>…</think>`` with a decoy answer inside (tests reasoning extraction).
    """

    def __init__(self, rows: Iterable[Mapping], *, root: str | Path | None = None, errors: ErrorRates | None = None,
                 seed: int = 0, think: bool = False) -> None:
        self.root = Path(root) if root is not None else None
        self.errors = errors or ErrorRates()
        self.seed = seed
        self.think = think
        self._index: dict[str, _Entry] = {}
        self._networks: dict[str, Network] = {}
        self._planners: dict[int, RoutePlanner] = {}
        for row in rows:
            task = str(row.get("type") or "planning")
            if "question_short" in row or (task == "planning" and "question" not in row):
                for which in ("short", "long"):
                    q = row.get(f"question_{which}")
                    if q:
                        self._index[q.strip()] = _Entry(row, "planning", _template_for(q, which))
            else:
                q = row.get("question")
                if q:
                    self._index[q.strip()] = _Entry(row, task, "short" if task == "planning" else "")

    def __len__(self) -> int:
        return len(self._index)

    def knows(self, question: str) -> bool:
        return question.strip() in self._index

    # -- ground truth ---------------------------------------------------------------------------------------------
    def network(self, row: Mapping) -> Network:
        value = row.get("json")
        if isinstance(value, Mapping):
            key = f"{row.get('country')}/{row.get('city')}#dict"
            if key not in self._networks:
                self._networks[key] = network_from_mapping(dict(value), city=str(row.get("city", "")),
                                                           country=str(row.get("country", "")))
            return self._networks[key]
        if not isinstance(value, str) or not value.strip():
            raise DataError("planning row has no station data", column="json")
        text = value.strip()
        if text.startswith("{"):
            key = f"{row.get('country')}/{row.get('city')}#text"
            if key not in self._networks:
                self._networks[key] = network_from_mapping(json.loads(text), city=str(row.get("city", "")),
                                                           country=str(row.get("country", "")))
            return self._networks[key]
        path = Path(text)
        if not path.is_absolute() and self.root is not None:
            path = self.root / text
        key = str(path.resolve())
        if key not in self._networks:
            self._networks[key] = load_network(path)
        return self._networks[key]

    def _route(self, row: Mapping):
        net = self.network(row)
        planner = self._planners.setdefault(id(net), RoutePlanner(net))
        routes = planner.optimal_routes(net.station(str(row["station_1"])), net.station(str(row["station_2"])))
        if not routes:
            raise DataError(f"no route from {row['station_1']!r} to {row['station_2']!r}", column="station_1")
        refs = row.get("routes") or {}
        ref_lines = set()
        if isinstance(refs, Mapping):
            for plan in refs.values():
                if plan:
                    ref_lines.add(tuple(clean_eval(str(s.get("route_name", ""))) for s in plan))
        for r in routes:
            if tuple(clean_eval(leg.line) for leg in r.legs) in ref_lines:
                return net, r
        return net, routes[0]

    # -- answering ------------------------------------------------------------------------------------------------
    def answer(self, question: str) -> SimAnswer:
        """The simulated response to ``question`` (:class:`KeyError` if the question is not in the dataset)."""
        entry = self._index[question.strip()]
        rng = {k: random.Random(f"{self.seed}|{k}|{question.strip()}") for k in ERROR_KINDS}
        hit = tuple(k for k in ERROR_KINDS if rng[k].random() < self.errors.rate(k, entry.task))
        if entry.task == "planning":
            text, applied = self._planning(entry, hit, rng)
        else:
            text, applied = self._plus(entry, question, hit, rng)
        if self.think:
            decoy = ("Route Name: Line 0\nDeparture Stop: Nowhere\nArrival Stop: Elsewhere" if entry.task == "planning"
                     else "maybe \\boxed{42}")
            text = f"<think>Let me trace the lines on the map. First guess:\n{decoy}\n--\nNo, look again.</think>\n{text}"
        return SimAnswer(text, applied)

    def _plus(self, entry: _Entry, question: str, hit: tuple[str, ...], rng) -> tuple[str, tuple[str, ...]]:
        task, gold = entry.task, int(entry.row["answer"])
        applied = []
        if task in ("TorF1", "TorF2"):
            yes = gold == 1
            if "wrong_line" in hit:
                yes = not yes
                applied.append("wrong_line")
            value = "yes" if yes else "no"
        elif task == "Counting1":
            index = gold
            if "off_by_one" in hit:
                options = {m.group(1): int(m.group(2)) for m in re.finditer(r"([A-D])\)\s*(-?\d+)", question)}
                values = [options.get(ch) for ch in "ABCD"]
                true = values[gold] if gold < len(values) else None
                near = [i for i, v in enumerate(values) if v is not None and true is not None and abs(v - true) == 1]
                others = [i for i in range(4) if i != gold]
                index = (near or others)[rng["off_by_one"].randrange(len(near or others))]
                applied.append("off_by_one")
            value = "ABCD"[index]
        else:
            value_int = gold
            if "off_by_one" in hit:
                value_int = gold + 1 if gold <= 0 or rng["off_by_one"].random() < 0.5 else gold - 1
                applied.append("off_by_one")
            value = str(value_int)
        if "broken_format" in hit:
            applied.append("broken_format")
            return f"I believe it is {value}", tuple(applied)
        return f"Looking at the map carefully.\n\\boxed{{{value}}}", tuple(applied)

    def _planning(self, entry: _Entry, hit: tuple[str, ...], rng) -> tuple[str, tuple[str, ...]]:
        net, route = self._route(entry.row)
        legs = [{"line": leg.line, "dep": leg.departure, "arr": leg.arrival, "via": list(leg.via)}
                for leg in route.legs]
        applied = []
        if "missing_transfer" in hit and len(legs) >= 2:
            i = rng["missing_transfer"].randrange(len(legs) - 1)
            a, b = legs[i], legs[i + 1]
            legs[i:i + 2] = [{"line": a["line"], "dep": a["dep"], "arr": b["arr"], "via": a["via"] + [a["arr"]] + b["via"]}]
            applied.append("missing_transfer")
        if "wrong_line" in hit:
            i = rng["wrong_line"].randrange(len(legs))
            leg = legs[i]
            ends = [net.resolve_station(leg["dep"]), net.resolve_station(leg["arr"])]
            bad = [name for name in net.lines if name != leg["line"]
                   and not all(st is not None and st.key in net.lines[name] for st in ends)]
            leg["line"] = bad[rng["wrong_line"].randrange(len(bad))] if bad else f"{leg['line']} Express"
            applied.append("wrong_line")
        if "misread_station" in hit:
            last = legs[-1]
            line = net.lines.get(last["line"])
            names = [line.spelling[k] for k in line.keys] if line is not None else []
            wrong = [n for n in names if n not in (last["arr"], last["dep"], str(entry.row["station_2"]))]
            if wrong and last["arr"] in names:
                pos = names.index(last["arr"])
                wrong.sort(key=lambda n: abs(names.index(n) - pos))
                last["arr"] = wrong[0]
            else:
                last["arr"] = last["arr"] + " North"
            applied.append("misread_station")
        off = -1
        if "off_by_one" in hit and entry.template == "long1":
            off = rng["off_by_one"].randrange(len(legs))
            applied.append("off_by_one")
        blocks = []
        for i, leg in enumerate(legs):
            lines = [f"Route Name: {leg['line']}", f"Departure Stop: {leg['dep']}", f"Arrival Stop: {leg['arr']}"]
            if entry.template == "long1":
                n = len(leg["via"]) + (1 if i == off and len(leg["via"]) == 0 else (-1 if i == off else 0))
                lines.append(f"Number of Via Stops: {n}")
            elif entry.template == "long2":
                lines.append(f"Via Stops: {', '.join(leg['via'])}")
            blocks.append("\n".join(lines))
        if "broken_format" in hit:
            applied.append("broken_format")
            return " then ".join(f"take {leg['line']} from {leg['dep']} to {leg['arr']}" for leg in legs) + ".", \
                tuple(applied)
        # a trailing newline: the official parser's regexes need one after every field
        return "\n--\n".join(blocks) + "\n", tuple(applied)

