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

import random
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rewardmap.errors import ConfigError, DataError, RewardMapError
from rewardmap.metro import Network, RoutePlanner
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
        self._index: dict[str, list[_Entry]] = {}
        self._prints: dict[str, object] = {}
        self._prints_lock = threading.Lock()
        from rewardmap.scoring.stations import NetworkCache

        self._cache = NetworkCache()
        self._planners: dict[int, RoutePlanner] = {}
        for row in rows:
            task = str(row.get("type") or "planning")
            if "question_short" in row or (task == "planning" and "question" not in row):
                for which in ("short", "long"):
                    q = row.get(f"question_{which}")
                    if q:
                        self._index.setdefault(q.strip(), []).append(
                            _Entry(row, "planning", _template_for(q, which)))
            else:
                q = row.get("question")
                if q:
                    self._index.setdefault(q.strip(), []).append(
                        _Entry(row, task, "short" if task == "planning" else ""))

    def __len__(self) -> int:
        return sum(len(v) for v in self._index.values())

    def ambiguous(self, question: str) -> bool:
        """Whether several rows ask exactly this text (e.g. Counting3 "how many lines in total?" in every city);
        the map then tells them apart."""
        return len(self._index.get(question.strip(), ())) > 1

    def _fingerprint(self, image):
        small = image.convert("L")
        factor = min(small.width, small.height) // 64
        if factor >= 2:
            small = small.reduce(factor)
        return list(small.resize((24, 24)).tobytes())

    def _entry(self, question: str, image=None) -> _Entry:
        entries = self._index[question.strip()]
        if len(entries) == 1 or image is None:
            return entries[0]
        try:
            probe = self._fingerprint(image() if callable(image) else image)
        except Exception:
            return entries[0]
        best, best_d = entries[0], None
        for e in entries:
            key = str(e.row.get("figure", ""))[:300] + "|" + str(e.row.get("city", ""))
            with self._prints_lock:  # one decode per map, however many requests ask at once
                if key not in self._prints:
                    try:
                        from rewardmap.data import resolve_figure

                        self._prints[key] = self._fingerprint(resolve_figure(e.row.get("figure"), self.root,
                                                                             max_pixels=512 * 512))
                    except Exception:
                        self._prints[key] = None
                ref = self._prints[key]
            if ref is None:
                continue
            d = sum(abs(a - b) for a, b in zip(probe, ref))
            if best_d is None or d < best_d:
                best, best_d = e, d
        return best

    def knows(self, question: str) -> bool:
        return question.strip() in self._index

    # -- ground truth ---------------------------------------------------------------------------------------------
    def network(self, row: Mapping) -> Network:
        """The row's network, built exactly as the scorer builds it (:class:`rewardmap.scoring.NetworkCache`)."""
        return self._cache.network_for_row(row, self.root)

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
    def answer(self, question: str, image=None) -> SimAnswer:
        """The simulated response to ``question`` (:class:`KeyError` if the question is not in the dataset).
        ``image`` (a PIL image or a callable returning one) picks the row when several rows share the text; without
        it the first such row is answered, as a model without the map would guess."""
        entry = self._entry(question, image)
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



def load_sim_rows(data: str, split: str | None, root: str | Path | None = None) -> list[dict]:
    """Rows of ``data`` for the simulator: the given split, or every split of a multi-split dataset."""
    from rewardmap.data import load_rows

    if split is not None:
        return [dict(r) for r in load_rows(data, split=split)]
    try:
        return [dict(r) for r in load_rows(data)]
    except RewardMapError:
        pass
    import datasets

    path = Path(data)
    if path.is_dir() and (path / "dataset_dict.json").is_file():
        dd = datasets.load_from_disk(str(path))
        return [dict(r) for ds in dd.values() for r in ds]
    rows: list[dict] = []
    for sp in ("train", "validation", "test"):
        try:
            rows += [dict(r) for r in load_rows(data, split=sp)]
        except RewardMapError:
            continue
    if not rows:
        raise DataError("no rows found in any split", source=data)
    return rows
