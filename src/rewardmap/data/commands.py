"""``rewardmap data build | inspect | validate | export``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rewardmap.errors import DataError

_SUBSETS = ("reasonmap", "reasonmap-plus", "reasonmap-train")


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="build, inspect, validate and export ReasonMap-style datasets")
    dsub = data.add_subparsers(dest="data_command", metavar="ACTION")

    b = dsub.add_parser("build", help="build ReasonMap, ReasonMap-Plus and ReasonMap-Train datasets from station "
                                      "files and maps")
    b.add_argument("--stations", required=True, help="folder of <country>/<city>.json station files")
    b.add_argument("--maps", default=None,
                   help="folder of <country>/<city>.png maps (default: a maps/ folder next to --stations)")
    b.add_argument("--out", required=True, help="output dataset root")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--split-test-cities", default=None, metavar="A,B,…",
                   help="city names of the test split (default: the 11 ReasonMap test cities present)")
    b.add_argument("--cities", default=None, metavar="A,B,…", help="build only these cities")
    b.add_argument("--embed-images", action="store_true",
                   help="store maps as base64 PNG in the reasonmap figure column (as FSCCS/ReasonMap does)")
    b.add_argument("--embed-stations", action="store_true",
                   help="store the station mapping itself in the reasonmap json column (what the released main.py "
                        "reads; with --embed-images the reasonmap split is its input)")
    b.add_argument("--max-image-pixels", type=int, default=None, metavar="N",
                   help="refuse maps with more pixels (decompression-bomb guard; default 300,000,000, above the "
                        "largest real map; 0 disables it)")
    b.add_argument("--no-parquet", action="store_true", help="skip the parquet copies")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=_build)

    i = dsub.add_parser("inspect", help="counts per type, difficulty and city, and one sample per type")
    i.add_argument("dir", help="a dataset root from `data build`, a save_to_disk folder or a parquet file")
    i.add_argument("--no-samples", action="store_true", help="counts only")
    i.set_defaults(func=_inspect)

    v = dsub.add_parser("validate", help="check every row against the public schema")
    v.add_argument("dir", help="a dataset root from `data build`, a save_to_disk folder or a parquet file")
    v.add_argument("--schema", default=None, help="reasonmap, reasonmap-plus or reasonmap-train (default: by "
                                                   "columns)")
    v.add_argument("--root", default=None, help="root for ./stations/... paths (default: the dataset root)")
    v.add_argument("--check-files", action="store_true", help="also resolve every station-file path")
    v.add_argument("--check-images", action="store_true",
                   help="also find and fully decode every distinct map (path or embedded)")
    v.add_argument("--max-image-pixels", type=int, default=None, metavar="N",
                   help="decompression-bomb guard of --check-images (default 300,000,000; 0 disables it)")
    v.add_argument("--check-answers", action="store_true",
                   help="also re-derive every ReasonMap-Plus answer from the station files")
    v.add_argument("--max-errors", type=int, default=20)
    v.set_defaults(func=_validate)

    e = dsub.add_parser("export", help="export a dataset for verl, LLaMA-Factory or TRL")
    e.add_argument("format", choices=("verl", "llamafactory", "trl"))
    e.add_argument("source", help="save_to_disk folder or parquet file, e.g. data/rm/reasonmap-train")
    e.add_argument("--split", default=None, help="split of a source with several (e.g. train, test)")
    e.add_argument("--root", default=None,
                   help="dataset root the ./maps and ./stations paths resolve against (default: the build root "
                        "holding the source, found by its manifest.json)")
    e.add_argument("--out", required=True,
                   help="verl: parquet file; llamafactory: folder; trl: folder (save_to_disk, resized maps in images/)")
    e.add_argument("--image-mode", choices=("path", "bytes"), default="path", help="verl: image paths or bytes")
    e.add_argument("--max-pixels", type=int, default=None,
                   help="trl: resize maps to at most this many pixels; verl: the per-image max_pixels key (default "
                        "for verl: the released recipe's 128,450,560)")
    e.add_argument("--min-pixels", type=int, default=None,
                   help="trl: resize maps to at least this many pixels; verl: the per-image min_pixels key (default "
                        "for verl: the released recipe's 3,136)")
    e.add_argument("--curriculum", default="rewardmap",
                   help="verl: write rows in this curriculum order (rewardmap, coarse, fine, shuffled; none keeps the "
                        "dataset order), with the stage in extra_info")
    e.add_argument("--seed", type=int, default=0, help="verl: seed of the shuffle inside each curriculum stage")
    e.add_argument("--max-image-pixels", type=int, default=None, metavar="N",
                   help="decompression-bomb guard when maps are read (default 300,000,000; 0 disables it)")
    e.set_defaults(func=_export)
    data.set_defaults(func=lambda a: (data.print_help(), 2)[1])


def _names(text: str | None) -> list[str] | None:
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def _guard(value: int | None):
    from rewardmap.data.loaders import DEFAULT_MAX_PIXELS_GUARD

    if value is None:
        return DEFAULT_MAX_PIXELS_GUARD
    if value < 0:
        raise DataError(f"--max-image-pixels must be ≥ 0 (0 disables the guard), found {value}")
    return value or None


def _build(args: argparse.Namespace) -> int:
    from rewardmap.data.build import build_datasets

    maps = args.maps
    if maps is None and (Path(args.stations).parent / "maps").is_dir():
        maps = Path(args.stations).parent / "maps"
    res = build_datasets(args.stations, maps, args.out, seed=args.seed,
                         test_cities=_names(args.split_test_cities), cities=_names(args.cities),
                         embed_images=args.embed_images, write_parquet=not args.no_parquet,
                         progress=not args.quiet, embed_stations=args.embed_stations,
                         max_pixels_guard=_guard(args.max_image_pixels))
    print(f"built {len(res['cities'])} cities into {res['out']} (seed {args.seed}); test cities: "
          f"{', '.join(res['test_cities']) or '(none)'}")
    for name, counts in res["counts"].items():
        print(f"  {name:<16} " + "  ".join(f"{split} {n}" for split, n in counts.items()))
    if res["missing_maps"]:
        print(f"warning: no map for {len(res['missing_maps'])} cities (their figure paths will not resolve): "
              f"{', '.join(res['missing_maps'])}", file=sys.stderr)
    for warning in res.get("warnings", ()):
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _datasets_in(path: Path) -> list[tuple[str, Path]]:
    """(label, location) of the datasets a path holds: a build root, a save_to_disk folder or a file."""
    if path.is_dir() and not (path / "dataset_dict.json").is_file() and not (path / "state.json").is_file():
        found = [(n, path / n) for n in _SUBSETS if (path / n / "dataset_dict.json").is_file()]
        if found:
            return found
    if not path.exists():
        raise DataError("not found", source=path)
    return [(path.name, path)]


def _splits(location: Path):
    import datasets

    from rewardmap.data.loaders import load_rows

    if location.is_dir() and (location / "dataset_dict.json").is_file():
        dd = datasets.load_from_disk(str(location))
        return list(dd.items())
    return [("-", load_rows(location))]


def _table(counter: Counter, title: str) -> str:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return f"    {title}: " + ", ".join(f"{k} {v}" for k, v in items)


def _render(row: dict) -> str:
    from rewardmap.data.export import sft_answer

    q = row.get("question") or row.get("question_short") or ""
    t = row.get("type") or "planning"
    if t == "planning":
        plans = [p for p in (row.get("routes") or {}).values() if p]
        if plans:
            ans = "\n--\n".join(f"Route Name: {s['route_name']}\nDeparture Stop: {s['departure_stop']}\n"
                                f"Arrival Stop: {s['arrival_stop']}" for s in plans[0])
        else:
            ans = "(reference routes not in this schema; the reward checks the route against the station file)"
    else:
        ans = f"{sft_answer(t, int(row['answer']))}  (answer={row['answer']})"
    head = f"[{t}] {row.get('country')}/{row.get('city')} difficulty_city={row.get('difficulty_city')}"
    return f"{head}\n{q}\n→ {ans}"


def _inspect(args: argparse.Namespace) -> int:
    from rewardmap.data.loaders import arrow_table, cell
    from rewardmap.data.schemas import detect_schema

    for label, location in _datasets_in(Path(args.dir)):
        for split, ds in _splits(location):
            schema = detect_schema(ds.column_names)
            print(f"{label} [{split}]: {len(ds)} rows, schema {schema.name if schema else 'unknown'}")
            table = arrow_table(ds)
            cols = {c: table.column(c).to_pylist() for c in ds.column_names
                    if c in ("type", "difficulty_city", "difficulty_question", "city", "answer")}
            if "type" in cols:
                print(_table(Counter(cols["type"]), "type"))
                if "answer" in cols:
                    torf = Counter(a for t, a in zip(cols["type"], cols["answer"]) if t.startswith("TorF"))
                    if torf:
                        print(f"    TorF answers: yes {torf.get(1, 0)}, no {torf.get(0, 0)}")
            if "difficulty_question" in cols:
                print(_table(Counter(cols["difficulty_question"]), "difficulty_question"))
            if "difficulty_city" in cols:
                print(_table(Counter(cols["difficulty_city"]), "difficulty_city"))
            if "city" in cols:
                print(_table(Counter(cols["city"]), "city"))
            if args.no_samples or not len(ds):
                continue
            types = cols.get("type") or ["planning"] * len(ds)
            seen: set[str] = set()
            for idx, t in enumerate(types):
                if t in seen:
                    continue
                seen.add(t)
                row = {c: cell(table, c, idx) for c in ds.column_names if c != "figure"}
                print("    ---- sample " + _render(row).replace("\n", "\n    "))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from rewardmap.data.schemas import detect_schema, get_schema
    from rewardmap.data.validate import iter_row_errors

    path = Path(args.dir)
    failures = 0
    for label, location in _datasets_in(path):
        if args.root:
            root = args.root
        elif path.is_dir() and location != path:
            root = path  # a build root
        elif location.parent.name == "parquet":
            root = location.parent.parent  # OUT/parquet/<name>-<split>.parquet
        else:
            root = location.parent  # OUT/<name>
        for split, ds in _splits(location):
            schema = get_schema(args.schema) if args.schema else detect_schema(ds.column_names)
            if schema is None:
                print(f"{label} [{split}]: columns match no public schema: {', '.join(ds.column_names)}")
                failures += 1
                continue
            errors = []
            for err in iter_row_errors(ds, schema, source=f"{label}[{split}]", root=root,
                                       check_files=args.check_files, check_images=args.check_images,
                                       check_answers=args.check_answers,
                                       max_pixels_guard=_guard(args.max_image_pixels)):
                errors.append(err)
                if len(errors) >= args.max_errors:
                    break
            status = "OK" if not errors else f"{len(errors)}{'+' if len(errors) >= args.max_errors else ''} errors"
            print(f"{label} [{split}]: {len(ds)} rows, schema {schema.name}: {status}")
            for err in errors:
                print(f"    {err}")
            failures += bool(errors)
    return 1 if failures else 0


def dataset_root_of(source: str | Path) -> Path:
    """The build root a dataset source lies in: the nearest of the source (a folder), its parent and grandparent
    that holds ``manifest.json`` (``OUT/reasonmap-train``, ``OUT/parquet/x.parquet``), else one holding ``maps/``
    or ``stations/``. Raises :class:`DataError` asking for ``--root`` when there is none."""
    path = Path(source).resolve()
    candidates = ([path] if path.is_dir() else []) + [path.parent, path.parent.parent]
    for test in (lambda c: (c / "manifest.json").is_file(),
                 lambda c: (c / "maps").is_dir() or (c / "stations").is_dir()):
        for c in candidates:
            if test(c):
                return c
    raise DataError("cannot tell the dataset root (no manifest.json, maps/ or stations/ in or above the source); "
                    "pass --root DIR, the folder the ./maps/... and ./stations/... paths resolve against",
                    source=source)


def _export(args: argparse.Namespace) -> int:
    from rewardmap.data.export import (
        VERL_MAX_PIXELS,
        VERL_MIN_PIXELS,
        curriculum_order_with_stages,
        export_llamafactory,
        export_verl,
        to_trl_conversational,
    )
    from rewardmap.data.loaders import load_rows

    ds = load_rows(args.source, args.split)
    root = Path(args.root) if args.root else dataset_root_of(args.source)
    if args.format == "verl":
        order = None
        if args.curriculum.lower() != "none":
            order = curriculum_order_with_stages(ds, args.curriculum, seed=args.seed)
        out = export_verl(ds, args.out, root=root, image_mode=args.image_mode, split=args.split or "train",
                          order=order,
                          max_pixels=VERL_MAX_PIXELS if args.max_pixels is None else args.max_pixels,
                          min_pixels=VERL_MIN_PIXELS if args.min_pixels is None else args.min_pixels)
        how = f"in {args.curriculum} curriculum order" if order is not None else "in dataset order"
        print(f"wrote {len(order) if order is not None else len(ds)} rows ({how}) to {out}")
    elif args.format == "llamafactory":
        paths = export_llamafactory(ds, args.out, root=root)
        print(f"wrote {paths['data']} and {paths['dataset_info']}")
    else:
        trl = to_trl_conversational(ds, root=root, min_pixels=args.min_pixels, max_pixels=args.max_pixels,
                                    max_pixels_guard=_guard(args.max_image_pixels),
                                    image_dir=Path(args.out) / "images")
        trl.save_to_disk(args.out)
        print(f"wrote {len(trl)} rows to {args.out}")
    return 0
