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


@dataclass(frozen=True)
class Subset:
    """Which samples to evaluate: cities, kinds (``short``/``long`` or Plus types), map / question difficulties,
    and an optional cap on the number of rows (first rows after filtering)."""

    cities: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    question_difficulties: tuple[str, ...] = ()
    limit: int | None = None

    def to_dict(self) -> dict:
        return {"cities": list(self.cities), "kinds": list(self.kinds), "difficulties": list(self.difficulties),
                "question_difficulties": list(self.question_difficulties), "limit": self.limit}


def _norm(values: Iterable[str]) -> set[str]:
    return {v.strip().lower() for v in values if v.strip()}


def build_samples(rows: Sequence[Mapping], benchmark: str, subset: Subset | None = None) -> list[Sample]:
    """Samples of ``rows`` for ``benchmark`` restricted to ``subset``."""
    if benchmark not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {benchmark!r}; expected {' or '.join(BENCHMARKS)}")
    sub = subset or Subset()
    cities, kinds = _norm(sub.cities), _norm(sub.kinds)
    diffs = {"middle" if d == "medium" else d for d in _norm(sub.difficulties)}
    qdiffs = {"middle" if d == "medium" else d for d in _norm(sub.question_difficulties)}
    if benchmark == "reasonmap":
        bad = kinds - {"short", "long"}
    else:
        bad = kinds - {"torf1", "torf2", "counting1", "counting2", "counting3", "torf", "counting"}
    if bad:
        raise ConfigError(f"--type {', '.join(sorted(bad))}: not a question kind of {benchmark}")
    out: list[Sample] = []
    rows_taken = 0
    for i, row in enumerate(rows):
        if cities and str(row.get("city", "")).lower() not in cities:
            continue
        if diffs and str(row.get("difficulty_city", "")).lower() not in diffs:
            continue
        if qdiffs and str(row.get("difficulty_question", "")).lower() not in qdiffs:
            continue
        if sub.limit is not None and rows_taken >= sub.limit:
            break
        if benchmark == "reasonmap":
            if "question_short" not in row:
                raise DataError("not a ReasonMap row (no question_short); is --benchmark right?", row=i,
                                column="question_short")
            taken = False
            for kind in ("short", "long"):
                if kinds and kind not in kinds:
                    continue
                out.append(Sample(f"{i}:{kind}", i, kind, str(row[f"question_{kind}"]), row))
                taken = True
            rows_taken += int(taken)
        else:
            if "question" not in row or "type" not in row:
                raise DataError("not a ReasonMap-Plus row (no question/type); is --benchmark right?", row=i,
                                column="question")
            t = str(row["type"])
            tl = t.lower()
            if kinds and tl not in kinds and tl.rstrip("123") not in kinds:
                continue
            out.append(Sample(str(i), i, t, str(row["question"]), row))
            rows_taken += 1
    return out


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
