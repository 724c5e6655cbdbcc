"""Build ReasonMap-, ReasonMap-Plus- and ReasonMap-Train-style datasets from station files and maps.

Output layout (the **dataset root** ``OUT``)::

    OUT/reasonmap/            DatasetDict (save_to_disk), splits train / validation   — FSCCS/ReasonMap columns
    OUT/reasonmap-plus/       DatasetDict, splits train / test                        — FSCCS/ReasonMap-Plus columns
    OUT/reasonmap-train/      DatasetDict, split train                                — FSCCS/ReasonMap-Train columns
    OUT/parquet/<name>-<split>.parquet                                                — the same rows as parquet
    OUT/maps/<country>/<city>.png        copies of the input maps
    OUT/stations/<country>/<city>.json   copies of the input station files
    OUT/geometry/<country>/<city>.json   copies of geometry sidecars, when the input has them
    OUT/annotations/reasonmap-plus-<split>.jsonl   fine-grained answers of the Plus rows (not a public column)
    OUT/manifest.json                    seed, cities, labels and their provenance, counts
    OUT/reasonmap-train/maps -> ../maps  relative links (also ``stations``, ``geometry``; the same in
                                         ``reasonmap-plus``), so the released ``rl_dataset.py`` — which resolves
                                         ``./maps/...`` against the dataset folder it loads, not ``OUT`` — finds the
                                         maps, and the dataset folder works as a root in its own right

Rebuilding into a folder that holds a previous build (it has ``manifest.json``) first removes every output listed
above, so no file of the last build (a city no longer selected, say) survives; anything else in the folder is left
alone. A non-empty folder without a manifest is refused.

Before anything is written, every station file and map is checked (:func:`rewardmap.metro.load_network`;
:func:`~rewardmap.data.loaders.check_image`: PNG header, size within the decompression-bomb guard, every chunk and
checksum), and an error names the file and the city.

Rows reference images and station files by the relative paths ``./maps/<country>/<city>.png`` and
``./stations/<country>/<city>.json``, like the public data; they resolve against ``OUT`` (pass ``root=OUT`` to
:func:`~rewardmap.data.resolve_figure` / :func:`~rewardmap.data.resolve_stations`). With ``embed_images=True`` the
``reasonmap`` dataset stores the map as base64 PNG in ``figure`` instead, as ``FSCCS/ReasonMap`` does.

Randomness: each city gets its own generators seeded from ``(seed, country, city)``, so the same seed gives the same
bytes, and adding a city does not change the others' questions.
"""

from __future__ import annotations

import base64
import json
import random
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rewardmap.errors import DataError, StationFileError
from rewardmap.metro.io import geometry_file, iter_station_files, load_network, network_to_mapping, read_sidecar
from rewardmap.metro.network import Network
from rewardmap.metro.routes import RoutePlanner
from rewardmap.tasks.difficulty import (
    CITY_DIFFICULTY,
    CITY_DIFFICULTY_SOURCE,
    PLANNING_QUOTA,
    PLUS_QUOTAS,
    TEST_CITIES,
    map_difficulty,
)
from rewardmap.tasks.planning import MAX_REFERENCE_ROUTES, PlanningSample, build_planning_samples
from rewardmap.tasks.plus import PlusSample, build_plus_samples
from rewardmap.tasks.types import TaskType

from .loaders import DEFAULT_MAX_PIXELS_GUARD, check_image
from .schemas import (
    PLACEHOLDER_INT,
    PLUS_DIFFICULTY_QUESTION,
    REASONMAP,
    REASONMAP_PLUS,
    REASONMAP_TRAIN,
    features_for,
)

#: Fraction of cities held out for testing when no city of the build is a known ReasonMap city (11 of 30).
DEFAULT_TEST_FRACTION = 11 / 30


@dataclass(frozen=True)
class CityBuild:
    """Everything generated for one city."""

    country: str
    city: str
    network: Network
    difficulty_city: str
    difficulty_source: str
    figure: str
    json: str
    plus: tuple[PlusSample, ...]
    planning: tuple[PlanningSample, ...]

    @property
    def common(self) -> dict:
        return {"country": self.country, "city": self.city, "difficulty_city": self.difficulty_city,
                "city_line_count": self.network.city_line_count,
                "city_transfer_count": self.network.city_transfer_count}


def figure_path(country: str, city: str) -> str:
    """The relative ``figure`` value of a city: ``./maps/<country>/<city>.png``."""
    return f"./maps/{country}/{city}.png"


def stations_path(country: str, city: str) -> str:
    """The relative ``json`` value of a city: ``./stations/<country>/<city>.json``."""
    return f"./stations/{country}/{city}.json"


def sidecar_difficulty(station_file: Path) -> str | None:
    """A synthetic city's ``difficulty_city`` from its geometry sidecar, if given there."""
    value = (read_sidecar(station_file) or {}).get("difficulty_city")
    return value if isinstance(value, str) else None


def city_rng(seed: int, country: str, city: str, purpose: str) -> random.Random:
    """The seeded generator of one city and purpose (string seeds hash with SHA-512: stable across runs)."""
    return random.Random(f"rewardmap:{seed}:{country}/{city}:{purpose}")


def build_city(station_file: Path, *, seed: int = 0, difficulty: str | None = None,
               difficulty_table: Mapping[tuple[str, str], str] | None = None,
               plus_counts: Mapping[TaskType | str, int] | None = None,
               planning_quota: Sequence[int] | Mapping[str, int] | None = None,
               max_routes: int = MAX_REFERENCE_ROUTES) -> CityBuild:
    """Plus and planning samples of one city. ``difficulty`` overrides the map label; else the geometry sidecar's
    ``difficulty_city``, the table, or the computed label (:func:`rewardmap.tasks.map_difficulty`)."""
    station_file = Path(station_file)
    network = load_network(station_file)
    country, city = network.country, network.city
    table = CITY_DIFFICULTY if difficulty_table is None else difficulty_table
    given, source = difficulty, "given"
    if given is None:
        given = sidecar_difficulty(station_file)
        source = "geometry"
    if given is None:
        source = CITY_DIFFICULTY_SOURCE.get((country, city), "table") if (country, city) in table else "computed"
    label = map_difficulty(country, city, network.city_line_count, network.city_transfer_count, given=given,
                           table=table)
    plus = build_plus_samples(network, rng=city_rng(seed, country, city, "plus"),
                              counts=plus_counts if plus_counts is not None else PLUS_QUOTAS[label])
    planning = build_planning_samples(network, rng=city_rng(seed, country, city, "planning"),
                                      quota=planning_quota if planning_quota is not None else PLANNING_QUOTA,
                                      planner=RoutePlanner(network), max_routes=max_routes)
    return CityBuild(country, city, network, label, source, figure_path(country, city), stations_path(country, city),
                     tuple(plus), tuple(planning))


# ------------------------------------------------------------------------------------------------- rows
def plus_row(cb: CityBuild, s: PlusSample) -> dict:
    """A ReasonMap-Plus row (public columns, public order)."""
    c = cb.common
    return {"country": c["country"], "city": c["city"], "station_1": s.station_1, "station_2": s.station_2,
            "figure": cb.figure, "question": s.question, "answer": int(s.answer), "type": s.type.value,
            "difficulty_city": c["difficulty_city"], "city_line_count": c["city_line_count"],
            "city_transfer_count": c["city_transfer_count"]}


def plus_annotation(cb: CityBuild, s: PlusSample) -> dict:
    """The fine-grained answer of a Plus row (not a public column): the line asked about or counted along, the
    Counting1 options, and ``fine_grained_answer`` (Counting1 intermediate stops, Counting2 lines, TorF1 shared
    lines, Counting3 all lines)."""
    return {"country": cb.country, "city": cb.city, "type": s.type.value, "station_1": s.station_1,
            "station_2": s.station_2, "answer": int(s.answer), "line": s.line, "options": list(s.options),
            "fine_grained_answer": list(s.detail)}


def reasonmap_row(cb: CityBuild, s: PlanningSample, figure: str | None = None) -> dict:
    """A ReasonMap row (public columns, public order); ``figure`` overrides the relative path (base64)."""
    c = cb.common
    return {"country": c["country"], "city": c["city"], "station_1": s.station_1, "station_2": s.station_2,
            "figure": figure if figure is not None else cb.figure, "question_long": s.question_long,
            "question_short": s.question_short, "difficulty_question": s.difficulty_question,
            "difficulty_city": c["difficulty_city"], "city_line_count": c["city_line_count"],
            "city_transfer_count": c["city_transfer_count"], "question_transfer_count": s.question_transfer_count,
            "routes": s.routes_column(), "json": cb.json}


def train_rows(cb: CityBuild) -> list[dict]:
    """ReasonMap-Train rows of a city: planning rows (short question, ``answer = -1``) then Plus rows
    (``question_transfer_count = -1``, ``difficulty_question`` placeholder)."""
    c = cb.common
    out = []
    for s in cb.planning:
        out.append({"country": c["country"], "city": c["city"], "station_1": s.station_1,
                    "station_2": s.station_2, "question": s.question_short,
                    "difficulty_question": s.difficulty_question, "difficulty_city": c["difficulty_city"],
                    "city_line_count": c["city_line_count"], "city_transfer_count": c["city_transfer_count"],
                    "question_transfer_count": s.question_transfer_count, "type": TaskType.PLANNING.value,
                    "answer": PLACEHOLDER_INT, "figure": cb.figure, "json": cb.json})
    for s in cb.plus:
        out.append({"country": c["country"], "city": c["city"], "station_1": s.station_1,
                    "station_2": s.station_2, "question": s.question,
                    "difficulty_question": PLUS_DIFFICULTY_QUESTION, "difficulty_city": c["difficulty_city"],
                    "city_line_count": c["city_line_count"], "city_transfer_count": c["city_transfer_count"],
                    "question_transfer_count": PLACEHOLDER_INT, "type": s.type.value, "answer": int(s.answer),
                    "figure": cb.figure, "json": cb.json})
    return out


def pad_routes(rows: list[dict], max_routes: int) -> None:
    """Give every ``routes`` dict the keys ``"1"`` … ``str(max_routes)`` (missing plans are ``None``) — the layout
    of a struct column. Not used by :func:`build_datasets` any more (``routes`` is a ``Json`` column holding only
    real plans, which the released ``main.py`` needs); kept for callers that want the padded form."""
    for r in rows:
        r["routes"] = {str(i + 1): r["routes"].get(str(i + 1)) for i in range(max_routes)}


# ------------------------------------------------------------------------------------------------- split
def choose_test_cities(cities: Sequence[tuple[str, str]], test_cities: Iterable[str] | None, seed: int
                       ) -> set[str]:
    """City names of the test split. Explicit names win; else the 11 ReasonMap test cities among the build; if the
    build has none of the known cities, a seeded ~11/30 of them (at least one when there are two or more)."""
    names = [c for _, c in cities]
    if test_cities is not None:
        wanted = {t.strip() for t in test_cities if t.strip()}
        unknown = sorted(wanted - set(names))
        if unknown:
            raise DataError(f"test cities not in the build: {', '.join(unknown)}; cities are {', '.join(names)}",
                            column="test_cities")
        return wanted
    known = {c for c in names if c in TEST_CITIES}
    if known or any(c in {k[1] for k in CITY_DIFFICULTY} for c in names):
        return known
    if len(names) < 2:
        return set()
    k = max(1, round(len(names) * DEFAULT_TEST_FRACTION))
    return set(random.Random(f"rewardmap:{seed}:split").sample(sorted(names), k))


# ------------------------------------------------------------------------------------------------- writing
def _dataset(rows: list[dict], schema, max_routes: int = 1, embed_stations: bool = False):
    import datasets

    feats = features_for(schema, max_routes=max_routes, embed_stations=embed_stations)
    cols = {c: [r[c] for r in rows] for c in schema.columns}
    return datasets.Dataset.from_dict(cols, features=feats)


#: Station-file warnings a build repeats (names that look alike but differ: see :mod:`rewardmap.metro.io`).
NAME_WARNING_CODES = ("unicode_twins", "invisible_character")

#: Everything :func:`build_datasets` writes under the dataset root (what a rebuild removes first).
OWNED_OUTPUTS = ("reasonmap", "reasonmap-plus", "reasonmap-train", "parquet", "maps", "stations", "geometry",
                 "annotations", "manifest.json")


def _prepare_out(out: Path, inputs: Sequence[Path]) -> None:
    """Make ``out`` ready for a fresh build: create it, or clear a previous build's outputs (``OWNED_OUTPUTS``).
    Refuse a non-empty folder that is not a build root, and an input that lies inside an output to be cleared."""
    if out.exists() and not out.is_dir():
        raise DataError("the output exists and is not a folder", source=out)
    if not out.exists() or not any(out.iterdir()):
        out.mkdir(parents=True, exist_ok=True)
        return
    if not (out / "manifest.json").is_file():
        listing = ", ".join(sorted(p.name for p in out.iterdir())[:5])
        raise DataError(f"the output folder is not empty and holds no rewardmap build (no manifest.json; found "
                        f"{listing}); choose an empty or new folder, or one written by `data build`", source=out)
    owned = [out / name for name in OWNED_OUTPUTS]
    for src in inputs:
        src = src.resolve()
        for target in owned:
            t = target.resolve()
            if src == t or t in src.parents:
                raise DataError(f"the input {src} lies inside {target}, which a rebuild replaces; build from a "
                                "folder outside the output", source=out)
    for target in owned:
        if target.is_symlink() or target.is_file():
            target.unlink()
        elif target.is_dir():
            shutil.rmtree(target)


#: Datasets the released RL loader may be pointed at (``load_from_disk(data_path)["train"]``, a ``type`` column).
LINKED_DATASETS = ("reasonmap-plus", "reasonmap-train")


def _link_assets(dataset_dir: Path) -> None:
    """``<dataset_dir>/{maps,stations,geometry} -> ../…``: the released RL loader resolves ``./maps/...`` against
    the folder it loads (``data_path``, ``data_path/train``, ``data_path/../..``), not against the dataset root;
    with all three linked the folder is a complete root (maps, station files, their geometry sidecars)."""
    for name in ("maps", "stations", "geometry"):
        target = dataset_dir.parent / name
        if not target.is_dir():
            continue
        link = dataset_dir / name
        try:
            link.symlink_to(Path("..") / name, target_is_directory=True)
        except OSError:  # no symlinks on this filesystem: copy instead
            shutil.copytree(target, link)


def _check_map(src: Path, country: str, city: str, guard: int | None) -> None:
    try:
        check_image(src, max_pixels_guard=guard)
    except DataError as exc:
        raise DataError(f"map of {country}/{city}: {exc}", source=src, column="figure") from None


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() and dst.stat().st_size == src.stat().st_size and dst.read_bytes() == src.read_bytes():
        return
    shutil.copyfile(src, dst)


def build_datasets(stations_dir: str | Path, maps_dir: str | Path | None, out_dir: str | Path, *, seed: int = 0,
                   test_cities: Iterable[str] | None = None, embed_images: bool = False,
                   cities: Iterable[str] | None = None, plus_counts: Mapping[TaskType | str, int] | None = None,
                   planning_quota: Sequence[int] | Mapping[str, int] | None = None,
                   difficulty: Mapping[str, str] | None = None, max_routes: int = MAX_REFERENCE_ROUTES,
                   write_parquet: bool = True, progress: bool = False, embed_stations: bool = False,
                   max_pixels_guard: int | None = DEFAULT_MAX_PIXELS_GUARD) -> dict:
    """Build the three datasets under ``out_dir`` (layout in the module doc) and return paths and counts.

    ``stations_dir``: ``<country>/<city>.json`` station files; ``maps_dir``: ``<country>/<city>.png`` maps (a city
    without a map is still built; its ``figure`` path will not resolve, and it is listed under
    ``missing_maps``). ``test_cities``: city names of the test split (:func:`choose_test_cities`). ``cities``: only
    these city names. ``plus_counts`` / ``planning_quota``: override the per-map quotas. ``difficulty``:
    ``{city: label}`` overrides. ``embed_stations``: the ``reasonmap`` dataset's ``json`` holds the station mapping
    (a ``Json`` column, as the released ``main.py`` reads it) instead of a path. ``max_pixels_guard``: maps with more
    pixels are refused (decompression-bomb guard; ``None`` disables it).

    Refused with :class:`DataError`: a ``cities`` name with no station file (the known cities are listed), a broken
    station file or map (named with its city), a non-empty ``out_dir`` that is not a previous build. Reported in
    ``"warnings"`` (and the manifest): a build whose train splits are empty (every city is a test city).

    Returns ``{"out", "reasonmap", "reasonmap-plus", "reasonmap-train", "parquet": {name-split: path}, "counts":
    {name: {split: rows}}, "cities": [...], "test_cities": [...], "missing_maps": [...], "warnings": [...]}``."""
    import datasets

    stations_dir = Path(stations_dir)
    maps_dir = Path(maps_dir) if maps_dir is not None else None
    out = Path(out_dir)
    try:
        files = iter_station_files(stations_dir)
    except StationFileError as exc:
        raise DataError(str(exc), source=None) from None
    if cities is not None:
        keep = {c.strip() for c in cities if c.strip()}
        unknown = sorted(keep - {f.stem for f in files})
        if unknown:
            known = ", ".join(sorted({f.stem for f in files})) or "(none)"
            raise DataError(f"unknown cit{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}: no station file "
                            f"<country>/<city>.json for {'it' if len(unknown) == 1 else 'them'}; known cities: {known}",
                            source=stations_dir, column="cities")
        files = [f for f in files if f.stem in keep]
    if not files:
        raise DataError("no station files to build from", source=stations_dir)
    overrides = dict(difficulty or {})

    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(files), desc="cities", unit="city")
    elif progress:  # a log, not a terminal: plain lines, no escape codes
        print(f"building {len(files)} cities from {stations_dir}", file=sys.stderr)
    builds: list[CityBuild] = []
    for f in files:
        src_map = maps_dir / f.parent.name / f"{f.stem}.png" if maps_dir is not None else None
        if src_map is not None and (src_map.exists() or src_map.is_symlink()):
            _check_map(src_map, f.parent.name, f.stem, max_pixels_guard)
        builds.append(build_city(f, seed=seed, difficulty=overrides.get(f.stem), plus_counts=plus_counts,
                                 planning_quota=planning_quota, max_routes=max_routes))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    test = choose_test_cities([(b.country, b.city) for b in builds], test_cities, seed)
    build_warnings: list[str] = [f"{b.country}/{b.city}: {w}" for b in builds for w in b.network.warnings
                                 if w.code in NAME_WARNING_CODES]
    if test and all(b.city in test for b in builds):
        build_warnings.append(f"every city of the build is a test city ({', '.join(sorted(test))}): the train "
                              "splits of reasonmap, reasonmap-plus and reasonmap-train are empty; add train cities "
                              "or choose the test cities with --split-test-cities")
    _prepare_out(out, [p for p in (stations_dir, maps_dir) if p is not None])

    # assets
    missing_maps: list[str] = []
    map_files: dict[str, Path] = {}
    for b, f in zip(builds, files):
        _copy(f, out / "stations" / b.country / f"{b.city}.json")
        geo = geometry_file(f)
        if geo.is_file():
            _copy(geo, out / "geometry" / b.country / f"{b.city}.json")
        src = maps_dir / b.country / f"{b.city}.png" if maps_dir is not None else None
        if src is not None and (src.exists() or src.is_symlink()):
            _copy(src, out / "maps" / b.country / f"{b.city}.png")
            map_files[b.city] = src
        else:
            missing_maps.append(f"{b.country}/{b.city}")
    if embed_images and missing_maps:
        raise DataError(f"cannot embed images: no map for {', '.join(missing_maps)}", source=maps_dir)

    # rows
    rm_rows: dict[str, list[dict]] = {"train": [], "validation": []}
    plus_rows: dict[str, list[dict]] = {"train": [], "test": []}
    plus_notes: dict[str, list[dict]] = {"train": [], "test": []}
    tr_rows: list[dict] = []
    for b in builds:
        held_out = b.city in test
        fig = None
        if embed_images:
            fig = base64.b64encode(map_files[b.city].read_bytes()).decode("ascii")
        new_rows = [reasonmap_row(b, s, fig) for s in b.planning]
        if embed_stations:
            for r in new_rows:
                r["json"] = {k: list(v) for k, v in network_to_mapping(b.network).items()}
        rm_rows["validation" if held_out else "train"].extend(new_rows)
        plus_rows["test" if held_out else "train"].extend(plus_row(b, s) for s in b.plus)
        plus_notes["test" if held_out else "train"].extend(plus_annotation(b, s) for s in b.plus)
        if not held_out:
            tr_rows.extend(train_rows(b))
    n_routes = max([len(r["routes"]) for rows in rm_rows.values() for r in rows] or [1])

    # datasets' own bars (a "Saving the dataset" and a "Creating parquet" bar per split, ~14 per build) say nothing
    # a user needs: one line says what is written
    was_disabled = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    if progress:
        print(f"writing datasets to {out}", file=sys.stderr)
    try:
        dicts = {
            "reasonmap": datasets.DatasetDict({k: _dataset(v, REASONMAP, n_routes, embed_stations)
                                               for k, v in rm_rows.items()}),
            "reasonmap-plus": datasets.DatasetDict({k: _dataset(v, REASONMAP_PLUS) for k, v in plus_rows.items()}),
            "reasonmap-train": datasets.DatasetDict({"train": _dataset(tr_rows, REASONMAP_TRAIN)}),
        }
        result: dict = {"out": str(out), "parquet": {}, "counts": {}}
        for name, dd in dicts.items():
            target = out / name
            if target.exists():
                shutil.rmtree(target)
            # explicit shard counts: an empty split saved with datasets' default cannot be loaded back
            shards = {k: max(1, -(-ds.data.nbytes // (500 * 2**20))) for k, ds in dd.items()}
            dd.save_to_disk(str(target), num_shards=shards)
            if name in LINKED_DATASETS:
                _link_assets(target)
            result[name] = str(target)
            result["counts"][name] = {split: len(ds) for split, ds in dd.items()}
            if write_parquet:
                (out / "parquet").mkdir(parents=True, exist_ok=True)
                for split, ds in dd.items():
                    p = out / "parquet" / f"{name}-{split}.parquet"
                    ds.to_parquet(str(p))
                    result["parquet"][f"{name}-{split}"] = str(p)
    finally:
        if not was_disabled:
            datasets.enable_progress_bars()

    notes_dir = out / "annotations"
    notes_dir.mkdir(parents=True, exist_ok=True)
    for split, notes in plus_notes.items():
        p = notes_dir / f"reasonmap-plus-{split}.jsonl"
        p.write_text("".join(json.dumps({"row": i, **n}, ensure_ascii=False) + "\n" for i, n in enumerate(notes)),
                     encoding="utf-8")
        result.setdefault("annotations", {})[f"reasonmap-plus-{split}"] = str(p)
    result["cities"] = [f"{b.country}/{b.city}" for b in builds]
    result["test_cities"] = sorted(test)
    result["missing_maps"] = missing_maps
    result["warnings"] = build_warnings
    manifest = {
        "seed": seed, "embed_images": embed_images, "embed_stations": embed_stations, "max_routes": max_routes,
        "cities": [{"country": b.country, "city": b.city, "split": "test" if b.city in test else "train",
                    "difficulty_city": b.difficulty_city, "difficulty_source": b.difficulty_source,
                    "city_line_count": b.network.city_line_count,
                    "city_transfer_count": b.network.city_transfer_count,
                    "plus": len(b.plus), "planning": len(b.planning),
                    "map": f"{b.country}/{b.city}" not in missing_maps} for b in builds],
        "counts": result["counts"], "test_cities": result["test_cities"], "missing_maps": missing_maps,
        "warnings": build_warnings,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    result["manifest"] = str(out / "manifest.json")
    return result
