"""Exporters to training engines: verl RL parquet, LLaMA-Factory sharegpt (the SFT baseline), TRL conversational.

All three read any of the three public schemas. The question is ``question`` (Plus, Train) or ``question_short``
(ReasonMap, as ReasonMap-Train does for planning rows). The metadata the RewardMap reward reads (data-schema §1.4:
``answer, type, difficulty_city, city_line_count, city_transfer_count, question_transfer_count, country, city,
station_1, station_2, json``) is carried along, with the ``-1`` placeholders of ReasonMap-Train where a schema lacks a
column, and ``json`` made usable by a reward worker: an absolute path when it resolves under ``root``, the JSON text
when the row holds the mapping itself, else the value unchanged.

Before writing anything each exporter checks that the dataset has the columns it needs (:func:`check_columns`) and
every row the values it needs (a ``None`` answer, an unresolvable map path): a :class:`~rewardmap.errors.DataError`
names the column, the row and the source — a missing label column must never become a ``-1`` ground truth.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from rewardmap.errors import DataError
from rewardmap.tasks.types import TaskType

from .build import stations_path
from .loaders import (
    DEFAULT_MAX_PIXELS_GUARD,
    Root,
    _figure_source,
    _roots,
    arrow_table,
    resolve_figure,
    stations_file,
)
from .schemas import PLACEHOLDER_INT

#: Reward metadata columns carried by every exporter (data-schema §1.4), in this order.
REWARD_COLUMNS = ("type", "answer", "station_1", "station_2", "difficulty_city", "city_line_count",
                  "city_transfer_count", "question_transfer_count", "json", "country", "city")

#: The system-free user turn of the official RL loader: ``"<image>\n" + question.strip()`` (data-schema §1.4).
VERL_IMAGE_TOKEN = "<image>"
#: Per-image pixel budget written into verl rows by default: the released recipe's ``data.max_pixels`` /
#: ``data.min_pixels`` (``scripts/reward_map.yaml``). Qwen's resizing in verl honours these keys per image.
VERL_MAX_PIXELS = 128_450_560
VERL_MIN_PIXELS = 3136

_QUESTION_COLUMNS = ("question", "question_short", "problem", "prompt")
#: Columns every exporter reads (the reward metadata, less those with a placeholder or a fallback).
_META_COLUMNS = ("station_1", "station_2", "difficulty_city", "city_line_count", "city_transfer_count", "country",
                 "city")


def check_columns(dataset, exporter: str, *, source: object = None) -> None:
    """Refuse a dataset that lacks a column ``exporter`` (``verl``, ``llamafactory``, ``trl``) needs, naming it.

    Needed by all: a question column (``question`` or ``question_short``), ``figure`` and the reward metadata
    (``station_1, station_2, difficulty_city, city_line_count, city_transfer_count, country, city``); ``answer``
    unless every row is a planning row (no ``type`` column and ReasonMap's ``routes``, or only ``planning``
    types); ``question_transfer_count`` when there are planning rows (their difficulty weight reads it)."""
    cols = set(dataset.column_names)
    where = source if source is not None else "dataset"

    def missing(column: str, why: str) -> DataError:
        return DataError(f"the {exporter} export needs column {column!r} ({why}); the dataset has "
                         f"{', '.join(sorted(cols)) or 'no columns'}", source=where, column=column)

    if not cols & set(_QUESTION_COLUMNS):
        raise missing("question", "the prompt; or question_short")
    if "figure" not in cols:
        raise missing("figure", "the map of each row")
    for c in _META_COLUMNS:
        if c not in cols:
            raise missing(c, "read by the reward")
    if "type" in cols:
        types = {str(t) for t in arrow_table(dataset).column("type").unique().to_pylist()}
    elif "routes" in cols or "question_short" in cols:
        types = {TaskType.PLANNING.value}  # the ReasonMap schema: planning rows only
    else:
        raise missing("type", "the task type of each row; only ReasonMap planning datasets may omit it")
    has_planning = TaskType.PLANNING.value in types
    if types - {TaskType.PLANNING.value} and "answer" not in cols:
        raise missing("answer", "the ground truth of every non-planning row")
    if has_planning and "question_transfer_count" not in cols:
        raise missing("question_transfer_count", "the difficulty weight of planning rows")


def _row_values_problem(row: dict) -> tuple[str, str] | None:
    """(column, problem) for a row value an exporter cannot use."""
    t = row.get("type") or TaskType.PLANNING.value
    try:
        TaskType.parse(t)
    except Exception:
        return "type", f"unknown task type {t!r}"
    if TaskType.parse(t) is not TaskType.PLANNING and not isinstance(row.get("answer"), int):
        return "answer", f"{t} row needs an integer answer, found {row.get('answer')!r}"
    for c in _META_COLUMNS:
        if row.get(c) is None:
            return c, "is empty (None)"
    if row.get("figure") is None:
        return "figure", "is empty (None)"
    return None


def _question(row: dict) -> str:
    for key in _QUESTION_COLUMNS:
        if isinstance(row.get(key), str) and row[key].strip():
            return row[key]
    raise DataError("row has no question (question / question_short)", column="question")


def _json_value(row: dict, root: Root) -> str:
    value = row.get("json")
    if value is None:
        value = stations_path(row["country"], row["city"])
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text.lstrip().startswith("{"):
        return text
    try:
        return str(stations_file(text, root).resolve())
    except DataError:
        return text


def reward_metadata(row: dict, *, root: Root = None) -> dict:
    """The reward's columns of one row of any public schema (see the module doc)."""
    t = row.get("type") or TaskType.PLANNING.value
    answer = row.get("answer")
    qtc = row.get("question_transfer_count")
    return {
        "type": TaskType.parse(t).value,
        "answer": int(answer) if answer is not None else PLACEHOLDER_INT,
        "station_1": row["station_1"], "station_2": row["station_2"],
        "difficulty_city": row["difficulty_city"],
        "city_line_count": int(row["city_line_count"]), "city_transfer_count": int(row["city_transfer_count"]),
        "question_transfer_count": int(qtc) if qtc is not None else PLACEHOLDER_INT,
        "json": _json_value(row, root),
        "country": row["country"], "city": row["city"],
    }


def _rows(dataset, source: object = None) -> Iterator[dict]:
    table = arrow_table(dataset)
    cols = list(table.column_names)
    data = {c: table.column(c).to_pylist() for c in cols if c not in ("figure", "routes")}
    figures = table.column("figure") if "figure" in cols else None
    for i in range(table.num_rows):
        row = {c: data[c][i] for c in data}
        if figures is not None:
            row["figure"] = figures[i].as_py()
        problem = _row_values_problem(row)
        if problem:
            raise DataError(problem[1], source=source, row=i, column=problem[0])
        yield row


def _figure_location(value, root: Root) -> str:
    """An absolute path for a path-valued figure under ``root``; other values (base64, data URI) unchanged."""
    if isinstance(value, str) and len(value) < 1024:
        text = value.strip().removeprefix("file://")
        if Path(text).is_absolute() and Path(text).is_file():
            return str(Path(text))
        for r in _roots(root):
            if (r / text).is_file():
                return str((r / text).resolve())
    return value


def _figure_path(value, root: Root, row: int, source: object) -> str:
    """The absolute path of a path-valued figure; a clear error when it does not resolve or is embedded data."""
    location = _figure_location(value, root)
    if isinstance(location, str) and len(location) < 1024 and Path(location).is_absolute() and \
            Path(location).is_file():
        return location
    text = value.strip() if isinstance(value, str) else ""
    looks_like_path = len(text) < 1024 and (text.startswith((".", "/", "file://")) or text.lower().endswith(
        (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")))
    if not looks_like_path:
        raise DataError("the map is embedded in the row (base64 or bytes), not a path; export with image mode "
                        "'bytes' (--image-mode bytes)", source=source, row=row, column="figure")
    tried = ", ".join(str(r / value.strip()) for r in _roots(root)) or "no root given (pass root= / --root)"
    raise DataError(f"map {value!r} not found (tried {tried})", source=source, row=row, column="figure")


def curriculum_order_with_stages(dataset, curriculum: str | Sequence = "rewardmap", *, seed: int = 0
                                 ) -> list[tuple[int, str, int]]:
    """Every row of ``dataset`` once, in curriculum order: ``(row, stage name, stage index)`` triples.

    ``curriculum``: a preset name of :mod:`rewardmap.data.curriculum` (``rewardmap`` — the released
    ``(TorF1+TorF2) → (Counting2+Counting3) → Counting1 → planning`` — ``coarse``, ``fine``, ``shuffled``) or a
    sequence of its ``Stage`` s; each stage is shuffled with its own seed derived from ``seed``
    (:func:`~rewardmap.data.curriculum.plan_curriculum` with one prompt per step, so no row is dropped). That
    module is pure Python (no torch). Rows of a type no stage names are refused."""
    from rewardmap.data.curriculum import plan_curriculum, preset_stages

    stages = preset_stages(curriculum, epochs=1.0) if isinstance(curriculum, str) else tuple(curriculum)
    table = arrow_table(dataset)
    types = (table.column("type").to_pylist() if "type" in table.column_names
             else [TaskType.PLANNING.value] * table.num_rows)
    covered = {t for st in stages for t in st.types}
    for i, t in enumerate(types):
        if TaskType.parse(t) not in covered:
            raise DataError(f"type {t!r} is in no stage of the curriculum", row=i, column="type")
    plans = plan_curriculum(types, stages, prompts_per_step=1, seed=seed)
    order = [(r, p.stage.name, p.index) for p in plans for r in p.rows]
    if sorted(r for r, _, _ in order) != list(range(len(types))):  # every row exactly once
        raise DataError("the curriculum does not place every row exactly once; use epochs: 1 stages",
                        column="type")
    return order


def _figure_bytes(value, root: Root) -> bytes:
    data, _ = _figure_source(value, _roots(root))
    return data if isinstance(data, bytes) else Path(data).read_bytes()


# ------------------------------------------------------------------------------------------------- verl
def export_verl(dataset, out_path: str | Path, *, root: Root = None, data_source: str = "reasonmap",
                image_mode: str = "path", split: str = "train",
                order: Sequence[tuple[int, str, int]] | Sequence[int] | None = None,
                max_pixels: int | None = None, min_pixels: int | None = None, source: object = None) -> Path:
    """Write a verl RL parquet file.

    Columns: ``data_source``; ``prompt`` = ``[{"role": "user", "content": "<image>\\n" + question}]`` (the
    official loader's user turn); ``images`` = ``[{"image": absolute path}]`` (``image_mode="path"``: no ``bytes``
    key — verl 0.9.1 opens ``bytes`` whenever the key is present, even ``None``) or ``[{"image": None, "bytes": PNG
    bytes}]`` (``"bytes"``), each with ``max_pixels`` / ``min_pixels`` keys when given (Qwen's resizing in verl
    honours them per image; the CLI writes :data:`VERL_MAX_PIXELS` / :data:`VERL_MIN_PIXELS` by default);
    ``ability``; ``reward_model`` = ``{"style": "rule", "ground_truth": str(answer)}``; ``extra_info`` = ``index``
    (the row in ``dataset``), ``split`` and the reward columns (:data:`REWARD_COLUMNS`).

    ``order``: rows in this order — ``(row, stage, stage_index)`` triples from :func:`curriculum_order_with_stages`
    (then ``extra_info`` also holds ``stage`` and ``stage_index``; train verl with ``data.shuffle=false``) or plain
    row indices. Refused with :class:`DataError` before anything is written: a missing column
    (:func:`check_columns`), a row without a usable answer or map (named by row)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if image_mode not in ("path", "bytes"):
        raise DataError(f"unknown image_mode {image_mode!r}; expected 'path' or 'bytes'")
    check_columns(dataset, "verl", source=source)
    pixel_keys = {k: v for k, v in (("max_pixels", max_pixels), ("min_pixels", min_pixels)) if v is not None}
    rows = list(_rows(dataset, source))
    if order is None:
        plan: list[tuple[int, str | None, int | None]] = [(i, None, None) for i in range(len(rows))]
    else:
        plan = [(o, None, None) if isinstance(o, int) else (int(o[0]), str(o[1]), int(o[2])) for o in order]
        bad = [r for r, _, _ in plan if not 0 <= r < len(rows)]
        if bad:
            raise DataError(f"order names row {bad[0]}, but the dataset has {len(rows)} rows", source=source)
    records = []
    byte_cache: dict[str, bytes] = {}
    path_cache: dict[str, str] = {}
    for i, stage, stage_index in plan:
        row = rows[i]
        meta = reward_metadata(row, root=root)
        fig = row.get("figure")
        if image_mode == "bytes":
            key = fig if isinstance(fig, str) and len(fig) < 1024 else f"#{i}"
            if key not in byte_cache:
                try:
                    byte_cache[key] = _figure_bytes(fig, root)
                except DataError as exc:
                    raise DataError(str(exc), source=source, row=i, column="figure") from None
            image = {"image": None, "bytes": byte_cache[key], **pixel_keys}
        else:
            key = fig if isinstance(fig, str) and len(fig) < 1024 else f"#{i}"
            if key not in path_cache:
                path_cache[key] = _figure_path(fig, root, i, source)
            image = {"image": path_cache[key], **pixel_keys}
        extra = {"index": i, "split": split, **meta}
        if stage is not None:
            extra.update(stage=stage, stage_index=stage_index)
        records.append({
            "data_source": data_source,
            "prompt": [{"role": "user", "content": f"{VERL_IMAGE_TOKEN}\n{_question(row).strip()}"}],
            "images": [image],
            "ability": "map_reasoning",
            "reward_model": {"style": "rule", "ground_truth": str(meta["answer"])},
            "extra_info": extra,
        })
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(records) if records else pa.table({"data_source": pa.array([], pa.string())})
    pq.write_table(table, out)
    return out


# ------------------------------------------------------------------------------------------------- LLaMA-Factory
def sft_answer(type_: str, answer: int) -> str:
    """The bare SFT target (``prepare_data_for_sft.py``): Counting1 → ``A``–``D``, TorF → ``yes`` / ``no``, else
    the integer."""
    t = TaskType.parse(type_)
    if t is TaskType.COUNTING1:
        if not 0 <= answer <= 3:
            raise DataError(f"Counting1 answer must be 0–3, found {answer}", column="answer")
        return "ABCD"[answer]
    if t.is_torf:
        return "yes" if answer == 1 else "no"
    return str(answer)


def export_llamafactory(dataset, out_dir: str | Path, *, name: str = "reasonmap_plus_sft", root: Root = None
                        ) -> dict[str, Path]:
    """Write the SFT baseline for LLaMA-Factory: ``OUT/<name>.json`` (sharegpt records ``{"conversations":
    [{"from": "human", "value": "<image> " + question}, {"from": "gpt", "value": bare answer}], "images":
    [figure]}``) and its entry in ``OUT/dataset_info.json`` (merged into an existing file). Planning rows are
    skipped, as in the official conversion. Figures that resolve under ``root`` are written as absolute paths."""
    check_columns(dataset, "llamafactory")
    out = Path(out_dir)
    records = []
    for row in _rows(dataset):
        t = row.get("type") or TaskType.PLANNING.value
        if TaskType.parse(t) is TaskType.PLANNING:
            continue
        records.append({
            "conversations": [{"from": "human", "value": "<image> " + _question(row)},
                              {"from": "gpt", "value": sft_answer(t, int(row["answer"]))}],
            "images": [_figure_location(row.get("figure"), root)],
        })
    out.mkdir(parents=True, exist_ok=True)
    data_file = out / f"{name}.json"
    data_file.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    info_file = out / "dataset_info.json"
    info = json.loads(info_file.read_text(encoding="utf-8")) if info_file.is_file() else {}
    info[name] = {
        "file_name": data_file.name,
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "images": "images"},
        "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt"},
    }
    info_file.write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return {"data": data_file, "dataset_info": info_file}


# ------------------------------------------------------------------------------------------------- TRL
def trl_prompt(question: str) -> list[dict]:
    """A TRL conversational prompt with one image placeholder before the question."""
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": question}]}]


def _figure_key(fig, i: int) -> str:
    """A cache key of a figure value: the path itself, or a digest of embedded data (maps repeat across rows)."""
    if isinstance(fig, str):
        return fig if len(fig) < 1024 else "sha1:" + hashlib.sha1(fig.encode("ascii", "replace")).hexdigest()
    if isinstance(fig, (bytes, bytearray)):
        return "sha1:" + hashlib.sha1(fig).hexdigest()
    return f"#{i}"


def to_trl_conversational(dataset, *, root: Root = None, min_pixels: int | None = None,
                          max_pixels: int | None = None, max_pixels_guard: int | None = DEFAULT_MAX_PIXELS_GUARD,
                          resize: str = "qwen", image_dir: str | Path | None = None):
    """A ``datasets.Dataset`` for TRL's ``GRPOTrainer``: ``prompt`` (:func:`trl_prompt`), ``image`` (the map as a
    PIL image, resized with :func:`~rewardmap.data.resolve_figure`; each distinct map is decoded once) and the
    reward metadata columns (:data:`REWARD_COLUMNS`). Pass ``max_pixels`` for real maps: unresized maps are up to
    140 MP each.

    ``image_dir``: write each distinct resized map once there (PNG) and store only its path; the ``image`` column
    still decodes to PIL on access, and memory stays flat however many rows share a map. Without it, every row
    embeds its own PNG bytes — fine for small sets, heavy for thousands of rows of real maps."""
    import datasets

    check_columns(dataset, "trl")
    cache: dict = {}
    if image_dir is not None:
        image_dir = Path(image_dir)
        image_dir.mkdir(parents=True, exist_ok=True)
    cols: dict[str, list] = {"prompt": [], "image": [], **{c: [] for c in REWARD_COLUMNS}}
    for i, row in enumerate(_rows(dataset)):
        fig = row.get("figure")
        key = _figure_key(fig, i)
        if key not in cache:
            try:
                img = resolve_figure(fig, root, max_pixels_guard=max_pixels_guard, min_pixels=min_pixels,
                                     max_pixels=max_pixels, resize=resize)
            except DataError as exc:
                raise DataError(str(exc), row=i, column="figure") from None
            if image_dir is not None:
                digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
                target = image_dir / f"{row['country']}_{row['city']}_{img.width}x{img.height}_{digest}.png"
                if not target.is_file():
                    img.save(target)
                img = {"path": str(target.resolve()), "bytes": None}
            cache[key] = img
        cols["prompt"].append(trl_prompt(_question(row)))
        cols["image"].append(cache[key])
        meta = reward_metadata(row, root=root)
        for c in REWARD_COLUMNS:
            cols[c].append(meta[c])
    features = datasets.Features({
        "prompt": [{"role": datasets.Value("string"),
                    "content": [{"type": datasets.Value("string"), "text": datasets.Value("string")}]}],
        "image": datasets.Image(),
        **{c: datasets.Value("int64") if c in ("answer", "city_line_count", "city_transfer_count",
                                                "question_transfer_count") else datasets.Value("string")
           for c in REWARD_COLUMNS},
    })
    return datasets.Dataset.from_dict(cols, features=features)
