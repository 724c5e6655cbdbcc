"""Turn dataset rows into evaluation samples and pick subsets.

ReasonMap rows give two samples each (``<row>:short`` and ``<row>:long``, the papers' S./L. columns); ReasonMap-Plus
rows give one (``<row>``). Sample ids are stable across runs of the same dataset, which is what resume relies on.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rewardmap.errors import ConfigError, DataError

BENCHMARKS = ("reasonmap", "reasonmap-plus")
#: Default split per benchmark: the split the official scripts evaluate.
DEFAULT_SPLIT = {"reasonmap": "validation", "reasonmap-plus": "test"}
#: Columns copied from the row into every result record (labels used by reports).
LABEL_COLUMNS = ("country", "city", "station_1", "station_2", "difficulty_city", "difficulty_question",
                 "question_transfer_count", "city_line_count", "city_transfer_count", "type", "answer")


@dataclass(frozen=True)
class Sample:
    """One question to ask: ``kind`` is ``short``/``long`` (ReasonMap) or the Plus type; ``row`` the dataset row."""

    id: str
    index: int
    kind: str
    question: str
    row: Mapping[str, Any]

    @property
    def task(self) -> str:
        return "planning" if self.kind in ("short", "long") else self.kind

    @property
    def template(self) -> str:
        if self.kind == "short":
            return "short"
        if self.kind == "long":
            return "long1" if "Number of Via Stops:" in self.question else "long2"
        return ""


#: ``Subset.sample`` values: ``stratified`` (default) spreads ``limit`` rows evenly over the strata (city × Plus
#: type, or city × question difficulty for ReasonMap), ``first`` takes the first rows after the filters.
SAMPLE_MODES = ("stratified", "first")
DIFFICULTY_LEVELS = ("easy", "middle", "hard")
PLUS_KINDS = ("TorF1", "TorF2", "Counting1", "Counting2", "Counting3")


@dataclass(frozen=True)
class Subset:
    """Which samples to evaluate: cities, kinds (``short``/``long`` or Plus types), map / question difficulties,
    and an optional cap on the number of rows. With a cap, ``sample="stratified"`` (default) takes the rows evenly
    across city × type (Plus) or city × question difficulty (ReasonMap), drawn with ``seed`` (same seed, same rows);
    ``sample="first"`` takes the first ``limit`` rows after the filters."""

    cities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    question_difficulties: tuple[str, ...] = ()
    limit: int | None = None
    sample: str = "stratified"
    seed: int = 0

    def to_dict(self) -> dict:
        d = {"cities": list(self.cities), "kinds": list(self.kinds), "difficulties": list(self.difficulties),
             "question_difficulties": list(self.question_difficulties), "limit": self.limit}
        if self.limit is not None:  # without a cap, how rows would be sampled changes nothing (old folders resume)
            d["sample"] = self.sample
            if self.sample == "stratified":
                d["seed"] = self.seed
        return d


@dataclass(frozen=True)
class Selection:
    """What a subset selected: the samples, and how the rows were chosen (recorded in ``run.json``)."""

    samples: list[Sample]
    info: dict


def _norm(values: Iterable[str]) -> set[str]:
    return {v.strip().lower() for v in values if v.strip()}


def _levels(values: Iterable[str], flag: str) -> set[str]:
    got = {"middle" if d == "medium" else d for d in _norm(values)}
    bad = got - set(DIFFICULTY_LEVELS)
    if bad:
        raise ConfigError(f"{flag} {', '.join(sorted(bad))}: not a difficulty; expected {', '.join(DIFFICULTY_LEVELS)}")
    return got


def _stratum(row: Mapping, benchmark: str) -> str:
    level = row.get("difficulty_question") if benchmark == "reasonmap" else row.get("type")
    return f"{row.get('city', '')}/{level}"


def _sample_rows(candidates: list[int], rows: Sequence[Mapping], benchmark: str, limit: int, seed: int) -> list[int]:
    """``limit`` of the ``candidates`` (row indices) spread evenly over the strata: strata are visited in a seeded
    random order, each giving its next seeded-random row per round, until ``limit`` rows are taken or all are; the
    result is in row order. Deterministic: the generator is seeded with ``seed`` only."""
    import random

    rng = random.Random(f"rewardmap-eval-sample:{seed}")
    strata: dict[str, list[int]] = {}
    for i in candidates:
        strata.setdefault(_stratum(rows[i], benchmark), []).append(i)
    keys = sorted(strata)
    rng.shuffle(keys)
    queues = []
    for k in keys:
        q = list(strata[k])
        rng.shuffle(q)
        queues.append(q)
    taken: list[int] = []
    while len(taken) < limit and any(queues):
        for q in queues:
            if q and len(taken) < limit:
                taken.append(q.pop())
    return sorted(taken)


def _counts(rows: Sequence[Mapping], indices: Iterable[int], key) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in indices:
        k = str(key(rows[i]))
        out[k] = out.get(k, 0) + 1
    return dict(sorted(out.items()))


def select_samples(rows: Sequence[Mapping], benchmark: str, subset: Subset | None = None) -> Selection:
    """Samples of ``rows`` for ``benchmark`` restricted to ``subset``, and a description of the selection.

    Refused with :class:`ConfigError` (naming what exists): a ``--city`` that is not in the rows, a ``--type`` that
    is not a question kind of the benchmark, a difficulty that is not easy/middle/hard, a ``limit`` below 1, and
    filters that leave no sample at all."""
    if benchmark not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {benchmark!r}; expected {' or '.join(BENCHMARKS)}")
    sub = subset or Subset()
    if sub.sample not in SAMPLE_MODES:
        raise ConfigError(f"--sample {sub.sample!r}: expected {' or '.join(SAMPLE_MODES)}")
    if sub.limit is not None and sub.limit < 1:
        raise ConfigError(f"--limit {sub.limit}: expected a number of rows >= 1 (leave it out for all rows)")
    cities, kinds = _norm(sub.cities), _norm(sub.kinds)
    diffs = _levels(sub.difficulties, "--difficulty")
    qdiffs = _levels(sub.question_difficulties, "--question-difficulty")
    known_kinds = ("short", "long") if benchmark == "reasonmap" else (*PLUS_KINDS, "TorF", "Counting")
    bad = kinds - {k.lower() for k in known_kinds}
    if bad:
        raise ConfigError(f"--type {', '.join(sorted(bad))}: not a question kind of {benchmark}; expected one of "
                          f"{', '.join(known_kinds)}")
    present = sorted({str(r.get("city", "")) for r in rows})
    missing = cities - {c.lower() for c in present}
    if missing:
        raise ConfigError(f"--city {', '.join(sorted(missing))}: no such city in this split; its cities are "
                          f"{', '.join(present) or '(none)'}")
    candidates: list[int] = []
    for i, row in enumerate(rows):
        if benchmark == "reasonmap" and "question_short" not in row:
            raise DataError("not a ReasonMap row (no question_short); is --benchmark right?", row=i,
                            column="question_short")
        if benchmark == "reasonmap-plus" and ("question" not in row or "type" not in row):
            raise DataError("not a ReasonMap-Plus row (no question/type); is --benchmark right?", row=i,
                            column="question")
        if cities and str(row.get("city", "")).lower() not in cities:
            continue
        if diffs and str(row.get("difficulty_city", "")).lower() not in diffs:
            continue
        if qdiffs and str(row.get("difficulty_question", "")).lower() not in qdiffs:
            continue
        if benchmark == "reasonmap-plus" and kinds:
            tl = str(row["type"]).lower()
            if tl not in kinds and tl.rstrip("123") not in kinds:
                continue
        candidates.append(i)
    if not candidates:
        asked = "; ".join(f"{flag} {', '.join(vals)}" for flag, vals in (
            ("--city", sub.cities), ("--type", sub.kinds), ("--difficulty", sub.difficulties),
            ("--question-difficulty", sub.question_difficulties)) if vals)
        have = _counts(rows, range(len(rows)), lambda r: f"{r.get('city', '')} ({r.get('difficulty_city', '')})")
        raise ConfigError(f"{asked or 'this split'}: no question matches; the split has "
                          + (", ".join(f"{k} {v} rows" for k, v in have.items()) or "no rows"))
    if sub.limit is None or sub.limit >= len(candidates):
        chosen = candidates
    elif sub.sample == "first":
        chosen = candidates[: sub.limit]
    else:
        chosen = _sample_rows(candidates, rows, benchmark, sub.limit, sub.seed)
    out: list[Sample] = []
    for i in chosen:
        row = rows[i]
        if benchmark == "reasonmap":
            for kind in ("short", "long"):
                if kinds and kind not in kinds:
                    continue
                out.append(Sample(f"{i}:{kind}", i, kind, str(row[f"question_{kind}"]), row))
        else:
            out.append(Sample(str(i), i, str(row["type"]), str(row["question"]), row))
    level = "difficulty_question" if benchmark == "reasonmap" else "type"
    info = {"rows": len(chosen), "of_rows": len(candidates), "limit": sub.limit,
            "mode": "all" if chosen is candidates else sub.sample,
            "by_city": _counts(rows, chosen, lambda r: r.get("city", "")),
            f"by_{level}": _counts(rows, chosen, lambda r: r.get(level, "")),
            "strata": _counts(rows, chosen, lambda r: _stratum(r, benchmark))}
    if info["mode"] == "stratified":
        info["seed"] = sub.seed
    return Selection(out, info)


def build_samples(rows: Sequence[Mapping], benchmark: str, subset: Subset | None = None) -> list[Sample]:
    """Samples of ``rows`` for ``benchmark`` restricted to ``subset`` (see :func:`select_samples`)."""
    return select_samples(rows, benchmark, subset).samples


def describe_selection(info: Mapping) -> str:
    """One line saying which rows a ``--limit`` took, e.g. ``--limit 20 (stratified, seed 0): 20 of 402 rows;
    per city: a 7, b 7, c 6; per type: TorF1 4, …``."""
    level = "difficulty_question" if "by_difficulty_question" in info else "type"
    per = lambda d: ", ".join(f"{k} {v}" for k, v in d.items())  # noqa: E731
    how = info["mode"] + (f", seed {info['seed']}" if "seed" in info else "")
    return (f"--limit {info['limit']} ({how}): {info['rows']} of {info['of_rows']} rows; per city: "
            f"{per(info['by_city'])}; per {'question difficulty' if level != 'type' else 'type'}: "
            f"{per(info[f'by_{level}'])}")


def is_inline_image(value: str) -> bool:
    """Whether a ``figure`` value is an inline (base64 / data URI) image rather than a path."""
    v = value.strip()
    if v.startswith("data:image"):
        return True
    if len(v) < 512:
        return False  # paths are short; a base64 PNG is not
    return not v.lower().endswith((".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"))


def figure_key(row: Mapping) -> str:
    """A short cache key of the row's image (the path, or ``country/city`` for inline images)."""
    value = row.get("figure")
    if isinstance(value, str) and not is_inline_image(value):
        return value
    return f"inline:{row.get('country', '')}/{row.get('city', '')}"


class ImageLoader:
    """Loads (and keeps a few of) the maps, resized to the pixel budget, via :func:`rewardmap.data.resolve_figure`."""

    def __init__(self, root: str | Path | None, *, min_pixels: int | None = None, max_pixels: int | None = None,
                 cache_size: int = 4) -> None:
        self.root = Path(root) if root is not None else None
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels
        self._cache: OrderedDict[str, Any] = OrderedDict()
        self._cache_size = cache_size
        import threading

        self._lock = threading.Lock()

    def load(self, row: Mapping):
        key = figure_key(row)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            image = _resolve_figure(row.get("figure"), self.root, self.min_pixels, self.max_pixels)
            self._cache[key] = image
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return image


def _resolve_figure(value, root, min_pixels, max_pixels):
    from rewardmap.data import resolve_figure

    return resolve_figure(value, root, min_pixels=min_pixels, max_pixels=max_pixels)
