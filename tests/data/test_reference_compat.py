"""The data we write is readable by the released loader and evaluation (issue 10 item 7).

The released code is the oracle and is loaded from ``../shared/reference`` at run time (skipped when absent). Its
module-level imports (torch, verl, transformers, torchvision) are not importable here, so the functions and blocks
used are taken out of the files with ``ast`` and run verbatim; only the imported names they need are supplied.
"""

from __future__ import annotations

import ast
import base64
import io
import json
import math
import os
import random
import re
from pathlib import Path
from typing import Any, Optional

import pytest

from rewardmap.data import build_datasets, load_rows

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
RL_DATASET = REFERENCE / "rewardmap" / "verl" / "utils" / "rl_dataset.py"
MAIN_PY = REFERENCE / "reasonmap" / "main.py"
TOOLS_PY = REFERENCE / "reasonmap" / "tools.py"

pytestmark = [
    pytest.mark.reference,
    pytest.mark.skipif(not RL_DATASET.is_file() or not MAIN_PY.is_file(),
                       reason=f"released code not found at {REFERENCE}"),
]


def _take(path: Path, names: set[str]) -> ast.Module:
    """The top-level definitions ``names`` of a file, verbatim."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            keep.append(node)
        elif isinstance(node, ast.Assign) and any(getattr(t, "id", None) in names for t in node.targets):
            keep.append(node)
    assert {getattr(n, "name", None) or n.targets[0].id for n in keep} == names, f"{path} changed"
    return ast.Module(body=keep, type_ignores=[])


def _tools() -> dict:
    from PIL import Image

    ns = {"re": re, "base64": base64, "Image": Image, "BytesIO": io.BytesIO}
    exec(compile(_take(TOOLS_PY, {"clean_string", "base64_to_image"}), str(TOOLS_PY), "exec"), ns)
    return ns


def _released_rl_dataset() -> dict:
    """``RLHFDataset``, ``_figure_to_pil`` and ``process_image`` of the released ``rl_dataset.py``; the torch /
    transformers base classes are replaced by ``object`` (``__init__`` and the image code do not use them)."""
    import datasets
    from PIL import Image

    ns = {"os": os, "io": io, "re": re, "base64": base64, "math": math, "random": random, "Any": Any, "Dict": dict,
          "List": list, "Optional": Optional, "Image": Image, "ImageObject": Image.Image, "hfds": datasets,
          "load_from_disk": datasets.load_from_disk, "Dataset": object, "PreTrainedTokenizer": object,
          "ProcessorMixin": object}
    code = _take(RL_DATASET, {"process_image", "_BASE64_RE", "_figure_to_pil", "RLHFDataset"})
    exec(compile(code, str(RL_DATASET), "exec"), ns)
    return ns


@pytest.fixture(scope="module")
def real_build(tmp_path_factory, reasonmap_data) -> Path:
    """A real two-city build (Nanning: a train city in China; Miami: a test city elsewhere) in the form the released
    main.py reads: base64 maps and the station mapping in ``json``."""
    out = tmp_path_factory.mktemp("ref") / "rm"
    build_datasets(reasonmap_data / "stations", reasonmap_data / "maps", out, seed=0, cities=["nanning", "miami"],
                   embed_images=True, embed_stations=True, write_parquet=False)
    return out


def test_released_rl_loader_finds_every_map_of_reasonmap_train(real_build, capsys):
    ref = _released_rl_dataset()
    data_path = str(real_build / "reasonmap-train")
    ds = ref["RLHFDataset"](data_path, tokenizer=None, processor=None)  # its curriculum reorder and column checks
    assert "Curriculum order applied" in capsys.readouterr().out
    assert ds.prompt_key == "question" and len(ds) == len(load_rows(real_build / "reasonmap-train"))
    roots = [ds._dataset_train_dir, ds._dataset_root_dir, ds._project_root_dir]  # as __getitem__ passes them
    assert not (Path(ds._project_root_dir) / "maps").exists()  # the search path does not hold OUT/maps itself
    seen = {}
    for fig in ds.dataset[ds.figure_column]:
        if fig not in seen:
            img = ref["process_image"](ref["_figure_to_pil"](fig, dataset_root_for_files=roots), 200_704, 3136)
            seen[fig] = img.size
    from PIL import Image

    with Image.open(real_build / "maps" / "china" / "nanning.png") as nanning:
        w, h = nanning.size
    assert list(seen) == ["./maps/china/nanning.png"]
    f = math.sqrt(200_704 / (w * h))
    assert seen["./maps/china/nanning.png"] == (int(w * f), int(h * f))


def _main_py_loop() -> ast.For:
    tree = ast.parse(MAIN_PY.read_text(encoding="utf-8"))
    return next(n for n in tree.body if isinstance(n, ast.For) and getattr(n.target, "elts", None)
                and [e.id for e in n.target.elts] == ["i_sample", "sample"])


def _main_py_sample_setup() -> ast.Module:
    """The released evaluation loop up to the questions: writes ``json`` to ``./stations``, decodes the figure to
    ``./maps``, reads the station file back and strips its tags (``main.py`` lines ≈ 146–192), verbatim."""
    loop = _main_py_loop()
    strip = next(i for i, n in enumerate(loop.body) if isinstance(n, ast.For)
                 and ast.unparse(n.iter) == "metro_data.items()")
    body = loop.body[:strip + 1] + ast.parse("setups.append((sample, metro_data))").body
    new = ast.For(target=loop.target, iter=ast.parse("enumerate(dataset)", mode="eval").body, body=body, orelse=[])
    return ast.fix_missing_locations(ast.Module(body=[new], type_ignores=[]))


def _main_py_map_score_short() -> ast.Module:
    """The released short-question map score: the loop over the reference plans, ``for key, route_plan in
    app_answer.items()`` (``main.py`` ≈ lines 520–674), verbatim."""
    loop = _main_py_loop()
    node = next(n for n in ast.walk(loop) if isinstance(n, ast.For) and getattr(n.target, "elts", None)
                and [getattr(e, "id", None) for e in n.target.elts] == ["key", "route_plan"])
    return ast.fix_missing_locations(ast.Module(body=[node], type_ignores=[]))


def _correct_answer(sample: dict) -> list[dict]:
    """A correct model answer as main.py parses it (``route_data``), from our first reference plan."""
    suffix = "站" if sample["station_1"].endswith("站") else " Station"
    plan = sample["routes"]["1"]
    out = []
    for i, sec in enumerate(plan):
        dep = sample["station_1"] if i == 0 else sec["departure_stop"] + suffix
        arr = sample["station_2"] if i == len(plan) - 1 else sec["arrival_stop"] + suffix
        out.append({"Route Name": sec["route_name"], "Departure Stop": dep, "Arrival Stop": arr})
    return out


def test_released_main_py_reads_the_reasonmap_split(real_build, tmp_path, monkeypatch, reasonmap_data):
    import datasets

    tools = _tools()
    monkeypatch.chdir(tmp_path)
    rows = [s for split in ("train", "validation")
            for s in datasets.load_from_disk(str(real_build / "reasonmap"))[split]]
    assert {r["city"] for r in rows} == {"nanning", "miami"}
    ns = {"os": os, "json": json, "dataset": rows, "model_path": "org/model", "setups": [],
          "base64_to_image": tools["base64_to_image"]}
    exec(compile(_main_py_sample_setup(), str(MAIN_PY), "exec"), ns)
    assert len(ns["setups"]) == len(rows)
    for city, country in (("nanning", "china"), ("miami", "america")):
        written = json.loads((tmp_path / "stations" / country / f"{city}.json").read_text(encoding="utf-8"))
        source = json.loads((reasonmap_data / "stations" / country / f"{city}.json").read_text(encoding="utf-8"))
        assert written == source  # the station data itself, not a path
        from PIL import Image

        with Image.open(tmp_path / "maps" / country / f"{city}.png") as saved, \
                Image.open(reasonmap_data / "maps" / country / f"{city}.png") as original:
            assert saved.size == original.size
    for _, metro_data in ns["setups"]:
        assert all(isinstance(v, list) and all("Transfer" not in s and "换乘" not in s for s in v)
                   for v in metro_data.values())

    score = compile(_main_py_map_score_short(), str(MAIN_PY), "exec")
    plan_counts = set()
    for sample in rows:
        route_data = _correct_answer(sample)
        env = {"re": re, "clean_string": tools["clean_string"], "app_answer": sample["routes"],
               "route_data": route_data, "first_route": route_data[0], "last_route": route_data[-1],
               "station1": sample["station_1"], "station2": sample["station_2"], "country": sample["country"],
               "city": sample["city"], "acc_short": 1, "best_map_api_score_short": 0}
        exec(score, env)  # a None plan would raise TypeError in zip(route_data, route_plan)
        assert env["best_map_api_score_short"] >= 1, sample["routes"]
        plan_counts.add(len(sample["routes"]))
    assert len(plan_counts) > 1  # rows with fewer plans than others are among them
