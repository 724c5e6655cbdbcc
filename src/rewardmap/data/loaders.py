"""Reading datasets and resolving their ``figure`` and ``json`` values.

* :func:`load_rows` — a ``save_to_disk`` folder (``Dataset`` or ``DatasetDict``), parquet / jsonl file(s), a folder of
  parquet files (a hub clone's ``data/``), or a hub id (needs network access).
* :func:`resolve_figure` — ``figure`` as a relative path (against one or more roots), an absolute path, base64 PNG, a
  ``data:`` URI, bytes, a ``{"bytes", "path"}`` dict (HF ``Image``) or a PIL image → an RGB PIL image, with an
  explicit pixel limit against decompression bombs (the official code disables PIL's guard; we keep one) and
  optional Qwen2.5-VL-style ``min_pixels`` / ``max_pixels`` resizing.
* :func:`resolve_stations` — ``json`` as a dict, JSON text or a path → the station mapping.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path

from rewardmap.errors import DataError

#: Default pixel limit of :func:`resolve_figure` and of the image checks (decompression-bomb guard): 300 MP. The
#: largest real ReasonMap map is Kuala Lumpur's, 14,032 × 19,843 ≈ 278.4 MP (Dubai, 139.5 MP, is the largest in
#: ``../shared/data``); PIL's own default refuses anything above 2 × 89.5 MP and the official code disables the guard
#: altogether (``Image.MAX_IMAGE_PIXELS = None``). Raise it explicitly (``max_pixels_guard=``, CLI
#: ``--max-image-pixels``) for a larger map; ``None`` disables it.
DEFAULT_MAX_PIXELS_GUARD = 300_000_000
#: Qwen2.5-VL patch factor (14-pixel patches merged 2 × 2).
QWEN_FACTOR = 28
#: Qwen2.5-VL processor default ``min_pixels`` (56 × 56), used when only ``max_pixels`` is given.
QWEN_MIN_PIXELS = 3136

_PIL_LOCK = threading.Lock()

Root = str | Path | Sequence[str | Path] | None


def _roots(root: Root) -> list[Path]:
    if root is None:
        return []
    if isinstance(root, (str, Path)):
        return [Path(root)]
    return [Path(r) for r in root]


# ------------------------------------------------------------------------------------------------- datasets
def arrow_table(dataset):
    """The rows of a ``datasets.Dataset`` as a ``pyarrow.Table`` — honouring ``select`` / ``filter`` / ``shuffle``
    (``dataset.data`` alone is the underlying table *before* such an indices mapping)."""
    if getattr(dataset, "_indices", None) is None:
        return dataset.data.table
    return dataset.with_format("arrow")[:]


def _is_json_column(col) -> bool:
    import pyarrow as pa

    return isinstance(col.type, pa.JsonType)


def column_values(table, name: str) -> list:
    """A column of an Arrow table as Python values; ``datasets.Json`` columns (``routes``, an embedded ``json``),
    which Arrow holds as JSON text, are parsed."""
    col = table.column(name)
    values = col.to_pylist()
    if _is_json_column(col):
        values = [json.loads(v) if isinstance(v, str) else v for v in values]
    return values


def cell(table, name: str, index: int):
    """One value of an Arrow table as Python (``Json`` columns parsed, see :func:`column_values`)."""
    col = table.column(name)
    value = col[index].as_py()
    return json.loads(value) if isinstance(value, str) and _is_json_column(col) else value


def _pick_split(obj, split: str | None, source: object):
    import datasets

    if isinstance(obj, datasets.DatasetDict):
        if split is None:
            if len(obj) == 1:
                return next(iter(obj.values()))
            raise DataError(f"several splits ({', '.join(obj)}); pass split=", source=source)
        if split not in obj:
            raise DataError(f"no split {split!r}; splits are {', '.join(obj)}", source=source)
        return obj[split]
    return obj


def _same_columns(files: list[Path], names: list[list[str]], source: object) -> None:
    if len({tuple(sorted(n)) for n in names}) > 1:
        listing = "; ".join(f"{f.name}: {len(n)} columns" for f, n in zip(files, names))
        raise DataError(f"these files hold different datasets ({listing}); load one file at a time", source=source)


def _from_files(files: list[Path], source: object):
    import datasets

    if not files:
        raise DataError("no data files found", source=source)
    suffixes = {f.suffix.lower() for f in files}
    if suffixes <= {".parquet"}:
        total = sum(f.stat().st_size for f in files)
        if total > 512 * 2**20:  # large (ReasonMap's base64 maps): let datasets memory-map an arrow cache
            import pyarrow.parquet as pq

            _same_columns(files, [pq.read_schema(f).names for f in files], source)
            return datasets.Dataset.from_parquet([str(f) for f in files])
        import pyarrow as pa
        import pyarrow.parquet as pq
        from datasets.table import InMemoryTable

        tables = [pq.read_table(f) for f in files]
        _same_columns(files, [t.column_names for t in tables], source)
        table = tables[0] if len(tables) == 1 else pa.concat_tables(tables, promote_options="default")
        return datasets.Dataset(InMemoryTable(table))
    if suffixes <= {".jsonl", ".json"}:
        return datasets.Dataset.from_json([str(f) for f in files])
    raise DataError(f"unsupported data files {sorted(suffixes)}; expected parquet, json or jsonl", source=source)


def _split_files(folder: Path, split: str | None) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in {".parquet", ".jsonl", ".json"}
                   and p.name not in {"dataset_info.json", "state.json", "dataset_dict.json"})
    if split is None:
        return files
    return [p for p in files if p.stem == split or p.stem.endswith(f"-{split}") or p.stem.startswith(f"{split}-")]


def load_rows(source, split: str | None = None, *, root: str | Path | None = None):
    """Load one split of a dataset as a ``datasets.Dataset``.

    ``source``: a ``Dataset`` / ``DatasetDict`` object; a ``save_to_disk`` folder; a parquet / json / jsonl file or a
    list of them; a folder of such files (``<split>.parquet`` or ``*-<split>.parquet``, also under ``data/``); else a
    hub id such as ``FSCCS/ReasonMap-Plus`` (downloaded with ``datasets.load_dataset``; needs network access).
    ``split``: required when the source has several splits. ``root``: base folder for a relative ``source``."""
    import datasets

    if isinstance(source, (datasets.Dataset, datasets.DatasetDict)):
        return _pick_split(source, split, "<dataset>")
    if isinstance(source, (list, tuple)):
        files = [Path(root) / Path(s) if root and not Path(s).is_absolute() else Path(s) for s in source]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise DataError(f"file not found: {missing[0]}", source=missing[0])
        return _from_files(files, source)
    path = Path(source)
    if root is not None and not path.is_absolute():
        path = Path(root) / path
    if path.is_dir():
        if (path / "dataset_dict.json").is_file() or (path / "state.json").is_file():
            return _pick_split(datasets.load_from_disk(str(path)), split, path)
        for folder in (path, path / "data"):
            if folder.is_dir():
                files = _split_files(folder, split)
                if files:
                    return _from_files(files, path)
        subsets = [p.name for p in path.iterdir() if (p / "dataset_dict.json").is_file()]
        hint = f"; datasets inside: {', '.join(sorted(subsets))}" if subsets else ""
        raise DataError(f"no dataset found{' for split ' + repr(split) if split else ''}{hint}", source=path)
    if path.is_file():
        return _from_files([path], path)
    text = str(source)
    if text.count("/") == 1 and not text.startswith((".", "/")):
        try:
            loaded = datasets.load_dataset(text, split=split)
        except Exception as exc:  # network, auth, unknown id: one error type for the caller
            raise DataError(f"could not load hub dataset: {type(exc).__name__}: {exc}", source=text) from exc
        return _pick_split(loaded, split, text)
    raise DataError("not found (neither a file, a folder nor a hub id)", source=path)


# ------------------------------------------------------------------------------------------------- images
def smart_resize(height: int, width: int, *, factor: int = QWEN_FACTOR, min_pixels: int = QWEN_MIN_PIXELS,
                 max_pixels: int | None = None) -> tuple[int, int]:
    """Qwen2.5-VL's target size: both sides multiples of ``factor``, area within ``[min_pixels, max_pixels]``,
    aspect ratio kept as closely as possible. Returns ``(height, width)``."""
    if min(height, width) <= 0:
        raise DataError(f"image has an empty side ({width}×{height})")
    if max(height, width) / min(height, width) > 200:
        raise DataError(f"aspect ratio {max(height, width) / min(height, width):.0f} is above 200 ({width}×{height})")
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if max_pixels is not None and h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


def scale_resize(height: int, width: int, *, min_pixels: int | None = None, max_pixels: int | None = None
                 ) -> tuple[int, int]:
    """The official RL loader's resize (``rl_dataset.process_image``): scale by ``sqrt(limit / area)`` when the area
    is above ``max_pixels`` or below ``min_pixels``, truncating to integers; no multiple-of-28 rounding."""
    area = height * width
    if max_pixels is not None and area > max_pixels:
        f = math.sqrt(max_pixels / area)
    elif min_pixels is not None and area < min_pixels:
        f = math.sqrt(min_pixels / area)
    else:
        return height, width
    return max(1, int(height * f)), max(1, int(width * f))


def _open_guarded(data: bytes | Path, limit: int | None, where: str):
    from PIL import Image

    with _PIL_LOCK:
        old = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None  # our own limit below replaces PIL's global one
        try:
            img = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
        except (OSError, ValueError, SyntaxError) as exc:
            raise DataError(f"not a readable image: {exc}", source=where, column="figure") from None
        finally:
            Image.MAX_IMAGE_PIXELS = old
    w, h = img.size
    if w <= 0 or h <= 0:
        img.close()
        raise DataError(f"image has an empty side ({w}×{h})", source=where, column="figure")
    if limit is not None and w * h > limit:
        img.close()
        raise DataError(f"image is {w}×{h} = {w * h:,} pixels, above the limit of {limit:,} (decompression-bomb "
                        "guard; raise max_pixels_guard / --max-image-pixels to allow it)", source=where,
                        column="figure")
    return img


def check_image(data: bytes | str | Path, *, where: str | None = None,
                max_pixels_guard: int | None = DEFAULT_MAX_PIXELS_GUARD, decode: bool = False,
                expect_format: str | None = "PNG") -> tuple[str, int, int]:
    """Check that a map file (or its bytes) is a sound image without trusting it; return ``(format, width,
    height)`` or raise :class:`DataError` naming ``where`` (default: the path).

    Always: the header is readable and of ``expect_format`` (``None``: any format PIL reads), both sides are
    non-empty and the pixel count is within ``max_pixels_guard`` (decompression-bomb guard, read from the header
    before any pixel is decoded). ``decode=False``: the file's structure is verified (``PIL.Image.verify``: every
    PNG chunk and its checksum, so truncated or corrupted files fail) without decoding pixels — fast even on the
    largest maps. ``decode=True``: every pixel is decoded as training and evaluation will."""
    if isinstance(data, str):
        data = Path(data)
    where = where or (str(data) if isinstance(data, Path) else "<bytes>")
    if isinstance(data, Path):
        if not data.is_file():
            raise DataError(f"image file not found ({data})", source=where, column="figure")
        if data.stat().st_size == 0:
            raise DataError("image file is empty (0 bytes)", source=where, column="figure")
    elif not data:
        raise DataError("image data is empty (0 bytes)", source=where, column="figure")
    img = _open_guarded(data, max_pixels_guard, where)
    fmt, (w, h) = img.format or "unknown", img.size
    try:
        if expect_format is not None and fmt != expect_format:
            raise DataError(f"image is {fmt}, expected {expect_format}", source=where, column="figure")
        try:
            if decode:
                img.load()
            else:
                img.verify()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise DataError(f"image data is corrupt or truncated: {exc}", source=where, column="figure") from None
    finally:
        img.close()
    return fmt, w, h


def _figure_source(value, roots: list[Path]) -> tuple[bytes | Path, str]:
    """What to open for a ``figure`` value, and a description for errors."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value), "<bytes>"
    if isinstance(value, dict):
        if value.get("bytes"):
            return bytes(value["bytes"]), "<bytes>"
        if value.get("path"):
            return _figure_source(str(value["path"]), roots)
        raise DataError("image dict has neither 'bytes' nor 'path'", column="figure")
    if not isinstance(value, str):
        raise DataError(f"figure must be a path, base64 text, bytes or an image, found {type(value).__name__}",
                        column="figure")
    text = value.strip()
    if not text:
        raise DataError("figure is empty", column="figure")
    if text.startswith("data:"):
        _, _, payload = text.partition(",")
        try:
            return base64.b64decode(payload, validate=False), "<data URI>"
        except (binascii.Error, ValueError) as exc:
            raise DataError(f"bad base64 in data URI: {exc}", column="figure") from None
    if text.startswith("file://"):
        text = text[len("file://"):]
    path = Path(text)
    if path.is_absolute() and path.is_file():
        return path, str(path)
    if len(text) < 1024:
        for r in roots:
            candidate = r / text
            if candidate.is_file():
                return candidate, str(candidate)
    looks_like_path = len(text) < 1024 and (text.startswith((".", "/")) or text.lower().endswith(
        (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")))
    if not looks_like_path:
        try:
            return base64.b64decode(text, validate=True), "<base64>"
        except (binascii.Error, ValueError):
            pass
    tried = ", ".join(str(r / text) for r in roots) or "no root given"
    raise DataError(f"image file {text!r} not found (tried {tried})", source=text, column="figure")


def resolve_figure(value, root: Root = None, *, max_pixels_guard: int | None = DEFAULT_MAX_PIXELS_GUARD,
                   min_pixels: int | None = None, max_pixels: int | None = None, resize: str = "qwen"):
    """The map image of a row as an RGB ``PIL.Image.Image``.

    ``value``: relative path (tried under each ``root``), absolute path, ``file://`` path, base64 PNG, ``data:`` URI,
    bytes, ``{"bytes"|"path"}`` dict or a PIL image. ``max_pixels_guard``: refuse images with more pixels (``None``
    disables the guard — not recommended for untrusted data). ``min_pixels`` / ``max_pixels``: when either is set,
    resize: ``resize="qwen"`` → Qwen2.5-VL ``smart_resize`` (sides multiples of 28; ``min_pixels`` defaults to
    3136, or ``max_pixels`` when that is smaller),
    ``resize="scale"`` → the official RL loader's plain scaling."""
    from PIL import Image

    if isinstance(value, Image.Image):
        img, where = value, "<image>"
        if max_pixels_guard is not None and img.width * img.height > max_pixels_guard:
            raise DataError(f"image is {img.width}×{img.height}, above the limit of {max_pixels_guard:,} pixels",
                            column="figure")
    else:
        data, where = _figure_source(value, _roots(root))
        img = _open_guarded(data, max_pixels_guard, where)
    try:
        img.load()
    except OSError as exc:
        raise DataError(f"image data is corrupt: {exc}", source=where, column="figure") from None
    if img.mode != "RGB":
        img = img.convert("RGB")
    if min_pixels is None and max_pixels is None:
        return img
    if resize == "qwen":
        if min_pixels is None:
            min_pixels = QWEN_MIN_PIXELS if max_pixels is None else min(QWEN_MIN_PIXELS, max_pixels)
        h, w = smart_resize(img.height, img.width, min_pixels=min_pixels, max_pixels=max_pixels)
    elif resize == "scale":
        h, w = scale_resize(img.height, img.width, min_pixels=min_pixels, max_pixels=max_pixels)
    else:
        raise DataError(f"unknown resize mode {resize!r}; expected 'qwen' or 'scale'")
    if (w, h) != img.size:
        # a coarse reduce first keeps huge maps fast; the final resample is bicubic
        factor = min(img.width // w, img.height // h)
        if factor >= 2:
            img = img.reduce(factor)
        img = img.resize((w, h), Image.Resampling.BICUBIC)
    return img


# ------------------------------------------------------------------------------------------------- stations
def stations_file(value: str, root: Root = None) -> Path:
    """The station file a ``json`` path value points to (absolute, or relative to one of the roots)."""
    text = value.strip()
    if text.startswith("file://"):
        text = text[len("file://"):]
    path = Path(text)
    if path.is_absolute():
        if path.is_file():
            return path
    else:
        for r in _roots(root):
            if (r / text).is_file():
                return r / text
    tried = str(path) if path.is_absolute() else (", ".join(str(r / text) for r in _roots(root)) or "no root given")
    raise DataError(f"station file {text!r} not found (tried {tried})", source=text, column="json")


def resolve_stations(value, root: Root = None) -> dict:
    """The station mapping ``{line: [entries]}`` of a row's ``json`` value: a dict (``None`` lines dropped: Arrow
    stores such dicts as one struct of all cities' lines), JSON text, or a path (absolute or relative to ``root``,
    e.g. ``./stations/china/dalian.json`` against a dataset root)."""
    if isinstance(value, dict):
        # a dict column stored as an Arrow struct holds every city's line names; absent lines come back as None
        return {k: v for k, v in value.items() if v is not None}
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"json must be a dict, JSON text or a path, found {value!r:.60}", column="json")
    from rewardmap.errors import StationFileError
    from rewardmap.metro.io import MAX_STATION_FILE_BYTES, parse_station_json, read_station_text

    text = value.strip()
    if text.startswith("{"):
        if len(text) > MAX_STATION_FILE_BYTES:
            raise DataError(f"json text is {len(text):,} characters, above the station-file limit of "
                            f"{MAX_STATION_FILE_BYTES:,}", column="json")
        try:
            data = parse_station_json(text, "<json column>")
        except StationFileError as exc:
            raise DataError(f"json text: {exc}", column="json") from None
    else:
        path = stations_file(text, root)
        try:
            data = parse_station_json(read_station_text(path), path)
        except StationFileError as exc:
            raise DataError(str(exc), source=path, column="json") from None
    if not isinstance(data, dict):
        raise DataError(f"station data must be a JSON object, found {type(data).__name__}", column="json")
    return data
