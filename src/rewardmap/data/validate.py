"""Row validation against the public schemas, with errors that name the source, row and column."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from rewardmap.errors import DataError, StationFileError
from rewardmap.metro.routes import question_difficulty
from rewardmap.tasks.types import DIFFICULTIES, PLUS_TYPES, TaskType

from .loaders import (
    DEFAULT_MAX_PIXELS_GUARD,
    Root,
    _figure_source,
    _roots,
    arrow_table,
    check_image,
    column_values,
    resolve_stations,
    stations_file,
)
from .schemas import PLACEHOLDER_INT, Schema, get_schema

_PLUS_TYPE_VALUES = frozenset(t.value for t in PLUS_TYPES)
_SECTION_KEYS = ("arrival_stop", "departure_stop", "num_via_stops", "route_name", "via_stops")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _figure_problems(table) -> Iterator[tuple[int, str]]:
    """Rows whose ``figure`` is null or an empty string (checked in Arrow: base64 maps are large)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = table.column("figure")
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
    nulls = pc.is_null(col)
    bad = nulls
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        bad = pc.or_(nulls, pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(col)), 0))
    for i in pc.indices_nonzero(pc.fill_null(bad, True)).to_pylist():
        yield i, "figure is empty"


def _check_routes(routes) -> str | None:
    if not isinstance(routes, dict):
        return f"routes must be a dict of plans, found {type(routes).__name__}"
    plans = [p for p in routes.values() if p is not None]
    if not plans:
        return "routes has no plan"
    for key, plan in routes.items():
        if plan is None:
            continue
        if not isinstance(plan, list) or not plan:
            return f"routes[{key!r}] must be a non-empty list of sections"
        for j, sec in enumerate(plan):
            if not isinstance(sec, dict):
                return f"routes[{key!r}][{j}] must be a section dict"
            missing = [k for k in _SECTION_KEYS if k not in sec]
            if missing:
                return f"routes[{key!r}][{j}] lacks {', '.join(missing)}"
            for k in ("arrival_stop", "departure_stop", "route_name"):
                if not isinstance(sec[k], str) or not sec[k].strip():
                    return f"routes[{key!r}][{j}].{k} must be a non-empty string, found {sec[k]!r}"
            if sec["num_via_stops"] is not None and (not _is_int(sec["num_via_stops"]) or sec["num_via_stops"] < 0):
                return f"routes[{key!r}][{j}].num_via_stops must be an integer ≥ 0, found {sec['num_via_stops']!r}"
            if sec["via_stops"] is not None and not (isinstance(sec["via_stops"], list)
                                                     and all(isinstance(v, str) for v in sec["via_stops"])):
                return f"routes[{key!r}][{j}].via_stops must be a list of strings"
    return None


def _answer_problem(t: str, answer, line_count) -> str | None:
    if t in (TaskType.TORF1.value, TaskType.TORF2.value):
        return None if answer in (0, 1) else f"{t} answer must be 1 (yes) or 0 (no), found {answer!r}"
    if t == TaskType.COUNTING1.value:
        return None if 0 <= answer <= 3 else f"Counting1 answer must be an option index 0–3, found {answer!r}"
    if t == TaskType.COUNTING2.value:
        return None if answer >= 1 else f"Counting2 answer must be a line count ≥ 1, found {answer!r}"
    if t == TaskType.COUNTING3.value:
        if answer < 1:
            return f"Counting3 answer must be a line count ≥ 1, found {answer!r}"
        if _is_int(line_count) and answer != line_count:
            return f"Counting3 answer {answer} differs from city_line_count {line_count}"
        return None
    if t == TaskType.PLANNING.value:
        return None if answer == PLACEHOLDER_INT else f"planning answer must be the placeholder -1, found {answer!r}"
    return None

_OPTIONS_RE = re.compile(r"\nA\)\s*(-?\d+)\s*\nB\)\s*(-?\d+)\s*\nC\)\s*(-?\d+)\s*\nD\)\s*(-?\d+)")
_TORF2_LINE_RE = re.compile(r"is on the line (.+)\?\s*$", re.S)


class _AnswerChecker:
    """Re-derives Plus answers from the city's station file (``check_answers``)."""

    def __init__(self, root: Root) -> None:
        self.root = root
        self.networks: dict[tuple[str, str, str], object] = {}

    def network(self, row: dict):
        """The city's network; a station *file* is loaded with :func:`load_network`, so a geometry sidecar next to
        it supplies the loop/branch topology the builder used."""
        from rewardmap.metro.io import load_network, network_from_mapping

        value = row.get("json") or f"./stations/{row['country']}/{row['city']}.json"
        key = (row["country"], row["city"], value if isinstance(value, str) and len(value) < 1024 else "<inline>")
        if key not in self.networks:
            if isinstance(value, str) and not value.lstrip().startswith("{"):
                net = load_network(stations_file(value, self.root), city=row["city"], country=row["country"])
            else:
                net = network_from_mapping(resolve_stations(value, self.root), city=row["city"],
                                           country=row["country"], source="<json column>")
            self.networks[key] = net
        return self.networks[key]

    def problem(self, row: dict) -> str | None:
        t = row["type"]
        if t == TaskType.PLANNING.value:
            return None
        net = self.network(row)
        if t == TaskType.COUNTING3.value:
            truth = net.city_line_count
            return None if row["answer"] == truth else f"Counting3 answer {row['answer']}, the map has {truth} lines"
        a = net.resolve_station(row["station_1"])
        if a is None:
            return f"station_1 {row['station_1']!r} is not in the station file"
        if t == TaskType.COUNTING2.value:
            truth = len(a.lines)
            return None if row["answer"] == truth else f"Counting2 answer {row['answer']}, {a.name} is on {truth} lines"
        if t == TaskType.TORF2.value:
            m = _TORF2_LINE_RE.search(row["question"])
            if not m or net.resolve_line(m.group(1).strip()) is None:
                return "TorF2 question names no line of the station file"
            truth = int(net.resolve_line(m.group(1).strip()).name in a.lines)
            return None if row["answer"] == truth else f"TorF2 answer {row['answer']}, expected {truth}"
        b = net.resolve_station(row["station_2"])
        if b is None:
            return f"station_2 {row['station_2']!r} is not in the station file"
        shared = net.share_line(a, b)
        if t == TaskType.TORF1.value:
            truth = int(bool(shared))
            return None if row["answer"] == truth else f"TorF1 answer {row['answer']}, expected {truth}"
        if t == TaskType.COUNTING1.value:
            m = _OPTIONS_RE.search(row["question"])
            if not m:
                return "Counting1 question has no A)–D) options"
            chosen = int(m.group(row["answer"] + 1))
            counts = set()
            for line in shared:  # along the track (branch/loop aware) and by list slicing (the official rule)
                counts.add(len(net.stations_between(a, b, line)))
                ln = net.lines[line]
                counts.add(abs(ln.index(a.key) - ln.index(b.key)) - 1)
            if not shared:
                return f"Counting1 stations {a.name!r} and {b.name!r} share no line"
            return None if chosen in counts else (f"Counting1 answer {row['answer']} = option {chosen}; the count is "
                                                  f"{' or '.join(map(str, sorted(counts)))}")
        return None


def _image_problems(table, root: Root, guard: int | None) -> Iterator[tuple[int, str]]:
    """Rows whose ``figure`` does not resolve to a sound image: every distinct map (a path, or embedded base64 /
    ``data:`` text, told apart by a digest) is found and fully decoded once (:func:`check_image` with
    ``decode=True``, within the pixel guard); each row holding a bad one is reported."""
    import pyarrow as pa

    col = table.column("figure")
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return
    roots = _roots(root)
    known: dict[str, str | None] = {}
    for i in range(table.num_rows):
        value = col[i].as_py()  # one value at a time: embedded maps are megabytes each
        if not value or not value.strip():
            continue  # reported as "figure is empty"
        key = value if len(value) < 1024 else "sha1:" + hashlib.sha1(value.encode("ascii", "replace")).hexdigest()
        if key not in known:
            try:
                data, where = _figure_source(value, roots)
                check_image(data, where=f"embedded image ({where.strip('<>')})" if where.startswith("<") else where,
                            max_pixels_guard=guard, decode=True, expect_format=None)
                known[key] = None
            except DataError as exc:
                reason = _reason(exc)
                known[key] = reason if exc.source is None or exc.source in reason else f"{exc.source}: {reason}"
        if known[key]:
            yield i, known[key]


def _reason(exc: DataError) -> str:
    """The message of a :class:`DataError` without its ``source, row, column:`` prefix."""
    parts = [p for p in (exc.source, None if exc.row is None else f"row {exc.row}",
                         exc.column and f"column {exc.column!r}") if p]
    text = str(exc)
    prefix = ", ".join(parts) + ": "
    return text[len(prefix):] if parts and text.startswith(prefix) else text


def iter_row_errors(dataset, schema: str | Schema, *, source: object = None, root: Root = None,
                    check_files: bool = False, check_images: bool = False, check_answers: bool = False,
                    max_pixels_guard: int | None = DEFAULT_MAX_PIXELS_GUARD) -> Iterator[DataError]:
    """Every problem of a dataset against a public schema, as :class:`DataError` s (source, row, column set).

    Checks: exact column set; string columns non-empty strings; integer columns integers; ``type`` among the schema's
    types; difficulty labels; answer encodings (TorF 1/0, Counting1 0–3, Counting3 = city_line_count, planning −1);
    ``question_transfer_count`` consistent with ``difficulty_question`` (−1 on Plus rows of ReasonMap-Train);
    ``routes`` structure. ``check_files``: also resolve each distinct ``json`` path against ``root``;
    ``check_images``: also find and fully decode every distinct map (path under ``root`` or embedded), refusing
    corrupt, truncated, empty, non-image and over-``max_pixels_guard`` ones;
    ``check_answers``: re-derive every Plus answer from the city's station file (``json``, else
    ``./stations/<country>/<city>.json`` under ``root``); a Counting1 answer passes when it equals the count along
    the track or by list slicing on a shared line."""
    schema = get_schema(schema)
    cols = list(dataset.column_names)
    missing = [c for c in schema.columns if c not in cols]
    extra = [c for c in cols if c not in schema.columns]
    for c in missing:
        yield DataError(f"missing column (the {schema.name} schema has {', '.join(schema.columns)})",
                        source=source, column=c)
    for c in extra:
        yield DataError(f"unexpected column (not in the {schema.name} schema)", source=source, column=c)
    if missing:
        return
    table = arrow_table(dataset)
    for i, msg in _figure_problems(table):
        yield DataError(msg, source=source, row=i, column="figure")
    if check_images:
        for i, msg in _image_problems(table, root, max_pixels_guard):
            yield DataError(msg, source=source, row=i, column="figure")
    names = [c for c in schema.columns if c != "figure"]
    values = {c: column_values(table, c) for c in names}
    n = table.num_rows
    allowed_types = _PLUS_TYPE_VALUES | ({TaskType.PLANNING.value} if schema.name == "reasonmap-train" else set())
    checked_json: dict[str, str | None] = {}
    checker = _AnswerChecker(root) if check_answers else None
    for i in range(n):
        row = {c: values[c][i] for c in names}

        def err(column: str, message: str, _i: int = i) -> DataError:
            return DataError(message, source=source, row=_i, column=column)

        bad_cols = set()
        for c in schema.str_columns:
            if c == "figure":
                continue
            v = row[c]
            if c == "json" and isinstance(v, dict):
                continue
            if not isinstance(v, str) or not v.strip():
                bad_cols.add(c)
                yield err(c, f"expected a non-empty string, found {v!r:.80}")
        for c in schema.int_columns:
            if not _is_int(row[c]):
                bad_cols.add(c)
                yield err(c, f"expected an integer, found {row[c]!r}")
        if bad_cols & {"type", "answer", "question_transfer_count", "difficulty_question", "city_line_count"}:
            continue
        if row["difficulty_city"] not in DIFFICULTIES:
            yield err("difficulty_city", f"expected easy, middle or hard, found {row['difficulty_city']!r}")
        if row["city_line_count"] < 1:
            yield err("city_line_count", f"must be ≥ 1, found {row['city_line_count']}")
        if row["city_transfer_count"] < 0:
            yield err("city_transfer_count", f"must be ≥ 0, found {row['city_transfer_count']}")
        t = row.get("type", TaskType.PLANNING.value)
        if "type" in row and t not in allowed_types:
            yield err("type", f"unknown type {t!r}; expected one of {', '.join(sorted(allowed_types))} "
                              "(exact case)")
            continue
        if "answer" in row:
            problem = _answer_problem(t, row["answer"], row["city_line_count"])
            if problem:
                yield err("answer", problem)
        if "question_transfer_count" in row:
            qtc = row["question_transfer_count"]
            if t == TaskType.PLANNING.value:
                if qtc < 0:
                    yield err("question_transfer_count", f"planning rows need a transfer count ≥ 0, found {qtc}")
                elif row["difficulty_question"] != question_difficulty(qtc):
                    yield err("difficulty_question", f"{row['difficulty_question']!r} does not match "
                              f"question_transfer_count {qtc} (expected {question_difficulty(qtc)!r})")
            elif qtc != PLACEHOLDER_INT:
                yield err("question_transfer_count", f"{t} rows carry the placeholder -1, found {qtc}")
        if "routes" in row:
            problem = _check_routes(row["routes"])
            if problem:
                yield err("routes", problem)
        if check_files and isinstance(row.get("json"), str) and not row["json"].lstrip().startswith("{"):
            key = row["json"]
            if key not in checked_json:
                try:
                    resolve_stations(key, root)
                    checked_json[key] = None
                except DataError as exc:
                    checked_json[key] = str(exc)
            if checked_json[key]:
                yield err("json", checked_json[key])
        if checker is not None and "answer" in row:
            try:
                problem = checker.problem(row)
            except (DataError, StationFileError) as exc:
                problem = f"cannot check the answer: {exc}"
            if problem:
                yield err("answer", problem)


def validate_rows(dataset, schema_name: str | Schema, *, source: object = None, root: Root = None,
                  check_files: bool = False, check_images: bool = False, check_answers: bool = False,
                  max_pixels_guard: int | None = DEFAULT_MAX_PIXELS_GUARD) -> int:
    """Validate every row of a dataset against a public schema; raise the first problem as :class:`DataError`
    (naming ``source``, row and column). Returns the number of rows checked. See :func:`iter_row_errors`."""
    for error in iter_row_errors(dataset, schema_name, source=source, root=root, check_files=check_files,
                                 check_images=check_images, check_answers=check_answers,
                                 max_pixels_guard=max_pixels_guard):
        raise error
    return len(dataset)
