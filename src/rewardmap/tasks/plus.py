"""ReasonMap-Plus builders: TorF1, TorF2, Counting1, Counting2, Counting3 from a :class:`~rewardmap.metro.Network`.

Ground truths (data-schema §4.4, with our network's station identity):

* ``TorF1`` — 1 when some line stops at both stations, else 0. Yes and no are balanced per map (equal counts, one
  more of either on an odd quota); a map where one side cannot exist (a one-line city has no "no" pair) gets none.
* ``TorF2`` — 1 when the station is on the named line (the station file's line key), else 0; balanced likewise.
* ``Counting1`` — intermediate stops between two stops of one line, endpoints excluded, along the track (branch
  and loop aware: :meth:`Network.stations_between`). Pairs are skipped when the answer is not well defined: across a
  branch whose arms the file does not separate (``branch_split_unknown``), on a loop where both ways round tie, or
  when the two stops share several lines that disagree on the count. Options: the truth plus three distinct
  distractors drawn from ``0 … max(line length, truth + 4)``; the correct letter cycles through a shuffled, balanced
  sequence of A–D so positions are uniform.
* ``Counting2`` — number of lines through a station; stations are drawn half from transfer stations (answers ≥ 2)
  and half from the others while both last, so answers are not all 1.
* ``Counting3`` — number of lines of the city (= ``city_line_count``); one per map.

``station_2`` of Counting2, Counting3 and TorF2 is not used by the question; like the public rows it is never empty
(a random other station). Names shared by several distinct stations (declared homonyms) are never asked about.
All randomness comes from the ``rng`` passed in.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from rewardmap.metro.network import Network, Station
from rewardmap.tasks import templates
from rewardmap.tasks.types import PLUS_TYPES, TaskType


@dataclass(frozen=True)
class PlusSample:
    """One ReasonMap-Plus question with its answer in the public encoding (TorF 1/0, Counting1 index 0–3).

    ``line``: the line asked about (TorF2) or counted along (Counting1). ``options``: Counting1's four options.
    ``detail``: the fine-grained answer (Counting1 intermediate stops, Counting2 lines, TorF1 shared lines)."""

    type: TaskType
    station_1: str
    station_2: str
    question: str
    answer: int
    line: str | None = None
    options: tuple[int, ...] = ()
    detail: tuple[str, ...] = ()


def _askable(network: Network) -> list[Station]:
    """Stations whose name identifies them (no homonyms), in file order."""
    counts: dict[str, int] = {}
    for st in network.stations.values():
        counts[st.name] = counts.get(st.name, 0) + 1
    return [st for st in network.stations.values() if counts[st.name] == 1]


def _other_station(stations: list[Station], rng: random.Random, not_name: str) -> str:
    if len(stations) < 2:
        return not_name
    while True:
        st = rng.choice(stations)
        if st.name != not_name:
            return st.name


def _balanced(yes: list, no: list, n: int, rng: random.Random) -> list:
    """Equal yes/no counts (±1 on odd ``n``), both limited by what exists; shuffled."""
    n_yes = n // 2 + (n % 2 if rng.random() < 0.5 else 0)
    n_no = n - n_yes
    if len(yes) < n_yes or len(no) < n_no:
        k = min(len(yes), len(no))
        n_yes = n_no = k
    out = yes[:n_yes] + no[:n_no]
    rng.shuffle(out)
    return out


def _draw_unique(draw, n: int, max_tries: int) -> list:
    """Call ``draw()`` until ``n`` distinct non-None keys are collected or ``max_tries`` run out."""
    seen: dict = {}
    tries = 0
    while len(seen) < n and tries < max_tries:
        tries += 1
        item = draw()
        if item is None:
            continue
        key, value = item
        if key not in seen:
            seen[key] = value
    return list(seen.values())


# ------------------------------------------------------------------------------------------------- TorF
def build_torf1(network: Network, n: int, rng: random.Random, *, max_tries: int | None = None) -> list[PlusSample]:
    """``n`` TorF1 questions ("is A the same line as B?"), yes/no balanced."""
    stations = _askable(network)
    if n <= 0 or len(stations) < 2:
        return []
    tries = max_tries or 60 * n + 200
    by_line = {ln: [s for s in stations if ln in s.lines] for ln in network.lines}
    lines = [ln for ln, sts in by_line.items() if len(sts) >= 2]

    def sample(a: Station, b: Station, ans: int) -> PlusSample:
        shared = tuple(x for x in a.lines if x in b.lines)
        return PlusSample(TaskType.TORF1, a.name, b.name, templates.torf1_question(a.name, b.name), ans,
                          detail=shared)

    def draw_yes():
        if not lines:
            return None
        a, b = rng.sample(by_line[rng.choice(lines)], 2)
        return frozenset((a.key, b.key)), sample(a, b, 1)

    def draw_no():
        a, b = rng.sample(stations, 2)
        if set(a.lines) & set(b.lines):
            return None
        return frozenset((a.key, b.key)), sample(a, b, 0)

    need = n // 2 + 1
    return _balanced(_draw_unique(draw_yes, need, tries), _draw_unique(draw_no, need, tries), n, rng)


def build_torf2(network: Network, n: int, rng: random.Random, *, max_tries: int | None = None) -> list[PlusSample]:
    """``n`` TorF2 questions ("is A on the line X?"), yes/no balanced; X is the station file's line key."""
    stations = _askable(network)
    if n <= 0 or not stations:
        return []
    tries = max_tries or 60 * n + 200
    line_names = list(network.lines)

    def sample(st: Station, line: str, ans: int) -> PlusSample:
        return PlusSample(TaskType.TORF2, st.name, _other_station(stations, rng, st.name),
                          templates.torf2_question(st.name, line), ans, line=line)

    def draw_yes():
        st = rng.choice(stations)
        line = rng.choice(st.lines)
        return (st.key, line), sample(st, line, 1)

    def draw_no():
        st = rng.choice(stations)
        others = [ln for ln in line_names if ln not in st.lines]
        if not others:
            return None
        line = rng.choice(others)
        return (st.key, line), sample(st, line, 0)

    need = n // 2 + 1
    return _balanced(_draw_unique(draw_yes, need, tries), _draw_unique(draw_no, need, tries), n, rng)


# ------------------------------------------------------------------------------------------------- counting
def _unsafe_branch_start(network: Network) -> dict[str, int]:
    """Per line, the list position of the first branch station whose arm split is unknown."""
    out: dict[str, int] = {}
    for w in network.warnings:
        if w.code == "branch_split_unknown" and w.line in network.lines and w.station is not None:
            line = network.lines[w.line]
            for i, e in enumerate(line.entries[: len(line.keys)]):
                if e.branch_tag and e.name == w.station:
                    out[w.line] = min(out.get(w.line, i), i)
                    break
    return out


def counting1_count(network: Network, a: Station, b: Station, line: str) -> int | None:
    """Intermediate stops between ``a`` and ``b`` on ``line`` along the track, or None when not well defined
    (a loop whose two ways round tie). Branch-unsafe pairs are filtered by the caller."""
    ln = network.lines[line]
    paths = ln.paths(a.key, b.key)
    if len(paths) != 1:
        return None
    return len(paths[0]) - 2


def counting1_options(truth: int, line_length: int, position: int, rng: random.Random) -> tuple[int, ...]:
    """Four distinct options with ``truth`` at ``position`` and three distractors from ``0 … max(line_length,
    truth + 4)``."""
    pool = [v for v in range(max(line_length, truth + 4) + 1) if v != truth]
    distractors = rng.sample(pool, 3)
    options = [*distractors[:position], truth, *distractors[position:]]
    return tuple(options)


def build_counting1(network: Network, n: int, rng: random.Random, *, max_tries: int | None = None
                    ) -> list[PlusSample]:
    """``n`` Counting1 questions (intermediate stops between two stops of one line, options A–D)."""
    if n <= 0:
        return []
    askable = {s.key for s in _askable(network)}
    unsafe = _unsafe_branch_start(network)
    candidates: dict[str, list[str]] = {}
    for name, ln in network.lines.items():
        limit = unsafe.get(name, len(ln.keys) - 1) + 1
        keys = [k for k in ln.keys[:limit] if k in askable]
        if len(keys) >= 2:
            candidates[name] = keys
    if not candidates:
        return []
    line_names = list(candidates)
    tries = max_tries or 60 * n + 200

    def draw():
        line = rng.choice(line_names)
        ka, kb = rng.sample(candidates[line], 2)
        a, b = network.stations[ka], network.stations[kb]
        counts = set()
        for shared in network.share_line(a, b):
            if shared in candidates and ka in candidates[shared] and kb in candidates[shared]:
                counts.add(counting1_count(network, a, b, shared))
            else:
                counts.add(None)  # shared line where the count is not well defined
        if len(counts) != 1 or None in counts:
            return None
        path = network.lines[line].path(ka, kb)
        return frozenset((ka, kb)), (a, b, line, counts.pop(), tuple(network.stations[k].name for k in path[1:-1]))

    drawn = _draw_unique(draw, n, tries)
    positions = [i % 4 for i in range(len(drawn))]
    rng.shuffle(positions)
    out = []
    for (a, b, line, truth, via), pos in zip(drawn, positions):
        options = counting1_options(truth, len(network.lines[line].keys), pos, rng)
        out.append(PlusSample(TaskType.COUNTING1, a.name, b.name, templates.counting1_question(a.name, b.name, options),
                              pos, line=line, options=options, detail=via))
    return out


def build_counting2(network: Network, n: int, rng: random.Random) -> list[PlusSample]:
    """``n`` Counting2 questions (lines through a station), half transfer stations while they last."""
    stations = _askable(network)
    if n <= 0 or not stations:
        return []
    multi = [s for s in stations if s.is_transfer]
    single = [s for s in stations if not s.is_transfer]
    rng.shuffle(multi)
    rng.shuffle(single)
    n_multi = min(len(multi), max(n // 2, n - len(single)))
    chosen = multi[:n_multi] + single[: n - n_multi]
    rng.shuffle(chosen)
    return [PlusSample(TaskType.COUNTING2, s.name, _other_station(stations, rng, s.name),
                       templates.counting2_question(s.name), len(s.lines), detail=tuple(s.lines)) for s in chosen]


def build_counting3(network: Network, n: int, rng: random.Random) -> list[PlusSample]:
    """The Global Counting question (``n`` is 0 or 1: there is one per map)."""
    stations = _askable(network)
    if n <= 0 or not stations:
        return []
    s1 = rng.choice(stations).name
    s2 = _other_station(stations, rng, s1)
    return [PlusSample(TaskType.COUNTING3, s1, s2, templates.counting3_question(), network.city_line_count,
                       detail=tuple(network.lines))]


_BUILDERS = {
    TaskType.TORF1: build_torf1,
    TaskType.TORF2: build_torf2,
    TaskType.COUNTING1: build_counting1,
    TaskType.COUNTING2: build_counting2,
    TaskType.COUNTING3: build_counting3,
}


def build_plus_samples(network: Network, *, rng: random.Random, counts: Mapping[TaskType | str, int] | None = None,
                       difficulty: str | None = None) -> list[PlusSample]:
    """ReasonMap-Plus questions for one map, grouped by type in the order TorF1, TorF2, Counting1, Counting2,
    Counting3.

    ``counts``: questions per type (missing types get 0); default: the paper's per-map quota for the map's
    ``difficulty`` (:data:`rewardmap.tasks.difficulty.PLUS_QUOTAS`; ``difficulty`` defaults to the computed label).
    Fewer questions come out when the map has too few distinct ones (e.g. no "no" pair on a one-line map)."""
    from rewardmap.tasks.difficulty import PLUS_QUOTAS, computed_map_difficulty

    if counts is None:
        level = difficulty or computed_map_difficulty(network.city_line_count, network.city_transfer_count)
        wanted = dict(PLUS_QUOTAS[level])
    else:
        wanted = {TaskType.parse(k): int(v) for k, v in counts.items()}
    out: list[PlusSample] = []
    for t in PLUS_TYPES:
        out.extend(_BUILDERS[t](network, wanted.get(t, 0), rng))
    return out
