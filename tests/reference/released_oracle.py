"""The released code, loaded as an oracle for differential tests (``../shared/reference``; its README).

Nothing here re-types the released logic:

* the training reward is ``verl/utils/reward_score/reason_map.py`` called through the released
  ``CustomRewardManager`` (``verl/workers/reward/custom.py``), both imported from a temporary ``verl`` package laid out
  from the reference files at run time. Only what the reference imports from the rest of verl is provided here: a
  ``DataProto`` holding tensors and object arrays (indexing gives an item with ``batch`` / ``non_tensor_batch``, as
  verl's does) and a character-level tokenizer (token id = code point), so the manager decodes exactly the string we
  encode. Its ``print`` calls and the ``reasonmap`` logger are silenced; its ``./reward.txt`` log goes to a temp dir.
* the ReasonMap evaluation is ``reasonmap/main.py``: its metro-data block, short-question block and long-question
  block are cut out of the file by marker lines and wrapped, verbatim and at their own indentation, in functions (the
  module-level counters they increment become locals). ``clean_string`` is taken from ``reasonmap/tools.py`` with
  ``ast`` (the rest of that module needs torchvision).
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference"
SHARED_DATA = REPO.parent / "shared" / "data" / "reasonmap"


def _noop(*_args: Any, **_kwargs: Any) -> None:
    return None


# ------------------------------------------------------------------------------------------------ training reward
_VERL_INIT = '''
"""Test scaffold: just what the released RewardMap files import from verl."""
import numpy as np


class DataProtoItem:
    def __init__(self, batch, non_tensor_batch):
        self.batch = batch
        self.non_tensor_batch = non_tensor_batch


class DataProto:
    def __init__(self, batch, non_tensor_batch):
        self.batch = batch
        self.non_tensor_batch = non_tensor_batch

    def __len__(self):
        return next(iter(self.batch.values())).shape[0]

    def __getitem__(self, i):
        return DataProtoItem({k: v[i] for k, v in self.batch.items()},
                             {k: v[i] for k, v in self.non_tensor_batch.items()})
'''

_SCORE_INIT = '''
from verl.utils.reward_score.reason_map import reason_map_compute_score


def _not_here(*args, **kwargs):
    raise NotImplementedError("only reason_map is part of the oracle")


math_compute_score = r1v_compute_score = seg_compute_score = seg_strict_compute_score = _not_here
vision_reasoner_compute_score = _not_here
'''


class CharTokenizer:
    """Token id = Unicode code point; ``decode`` inverts it (skip_special_tokens has nothing to skip)."""

    def encode(self, text: str) -> list[int]:
        return [ord(c) for c in text]

    def decode(self, ids: Any, skip_special_tokens: bool = True) -> str:
        return "".join(chr(int(i)) for i in ids)


class RewardOracle:
    """``score(response, row) -> float32`` through the released ``CustomRewardManager``."""

    FIELDS = ("answer", "type", "difficulty_city", "city_line_count", "city_transfer_count",
              "question_transfer_count", "country", "city", "station_1", "station_2", "json")

    def __init__(self, custom_module: Any, verl_module: Any) -> None:
        import torch  # the released manager builds torch tensors

        self._torch = torch
        self._verl = verl_module
        self.tokenizer = CharTokenizer()
        self.manager = custom_module.CustomRewardManager(self.tokenizer, num_examine=0, compute_score="reason_map")

    def score(self, response: str, row: Mapping[str, Any]) -> float:
        return self.score_batch([response], [row])[0]

    def score_batch(self, responses: list[str], rows: list[Mapping[str, Any]]) -> list[float]:
        import numpy as np

        torch = self._torch
        prompt = self.tokenizer.encode("Q")
        ids = [self.tokenizer.encode(r) for r in responses]
        width = max(1, max(len(x) for x in ids))
        n = len(ids)
        prompts = torch.tensor([prompt] * n, dtype=torch.long)
        responses_t = torch.zeros((n, width), dtype=torch.long)
        mask = torch.zeros((n, len(prompt) + width), dtype=torch.long)
        mask[:, : len(prompt)] = 1
        for i, x in enumerate(ids):
            if x:
                responses_t[i, : len(x)] = torch.tensor(x, dtype=torch.long)
                mask[i, len(prompt): len(prompt) + len(x)] = 1
        non_tensor = {}
        for name in self.FIELDS:
            col = np.empty(n, dtype=object)
            for i, row in enumerate(rows):
                col[i] = row[name]
            non_tensor[name] = col
        data = self._verl.DataProto({"prompts": prompts, "responses": responses_t, "attention_mask": mask},
                                    non_tensor)
        reward = self.manager(data)
        assert reward.dtype == torch.float32
        return [float(v) for v in reward.sum(dim=1)]


def load_reward_oracle(workdir: Path) -> RewardOracle:
    """Lay the released files out as a ``verl`` package under ``workdir`` and import the reward manager."""
    src = REFERENCE / "rewardmap" / "verl"
    pkg = workdir / "oracle_pkgs" / "verl"
    score_dir = pkg / "utils" / "reward_score"
    reward_dir = pkg / "workers" / "reward"
    for d in (score_dir, reward_dir):
        d.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text(_VERL_INIT)
    for d in (pkg / "utils", pkg / "workers", reward_dir):
        (d / "__init__.py").write_text("")
    (score_dir / "__init__.py").write_text(_SCORE_INIT)
    for name in ("reason_map.py", "reasonmap_utils.py"):
        shutil.copyfile(src / "utils" / "reward_score" / name, score_dir / name)
    shutil.copyfile(src / "workers" / "reward" / "custom.py", reward_dir / "custom.py")

    present = sys.modules.get("verl")
    if present is not None and getattr(present, "__file__", None) is not None:
        raise RuntimeError("a real verl package is already imported; the oracle needs its own (run it in the "
                           "project venv, not .venv-verl)")
    # a namespace package called verl (the tests/verl folder, imported by pytest.importorskip("verl.protocol")
    # while verl is not installed) is no verl: make way for the scaffold
    for k in [k for k in sys.modules if k == "verl" or k.startswith("verl.")]:
        del sys.modules[k]
    # the released reward imports verl.utils.reward_score.reasonmap_utils lazily (Counting1), so the scaffold stays on
    # sys.path and in sys.modules for the session
    sys.path.insert(0, str(pkg.parent))
    cwd = os.getcwd()
    os.chdir(workdir)  # reason_map.py opens ./reward.txt at import
    try:
        verl = importlib.import_module("verl")
        custom = importlib.import_module("verl.workers.reward.custom")
        reason_map = importlib.import_module("verl.utils.reward_score.reason_map")
    finally:
        os.chdir(cwd)
    reason_map.print = _noop
    custom.print = _noop
    logger = logging.getLogger("reasonmap")
    logger.disabled = True
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        with contextlib.suppress(Exception):
            handler.close()
    oracle = RewardOracle(custom, verl)
    oracle.module = reason_map  # type: ignore[attr-defined]
    return oracle


# ---------------------------------------------------------------------------------------------- ReasonMap main.py
def _clean_string_from_tools() -> Callable[[str], str]:
    tree = ast.parse((REFERENCE / "reasonmap" / "tools.py").read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "clean_string")
    namespace: dict[str, Any] = {"re": re}
    exec(compile(ast.Module(body=[node], type_ignores=[]), "reasonmap/tools.py", "exec"), namespace)
    return namespace["clean_string"]


def _cut(lines: list[str], start: str, end: str, *, include_end: bool = True) -> list[str]:
    i = next(k for k, ln in enumerate(lines) if ln.strip().startswith(start))
    j = next(k for k in range(i + 1, len(lines)) if lines[k].strip().startswith(end))
    return lines[i: j + 1] if include_end else lines[i:j]


_SHORT_OUT = ("acc_short", "best_map_api_score_short", "save_departure_arrival_score_short",
              "save_route_name_score_short", "save_stops_score_short", "route_data")
_LONG_OUT = ("acc_long", "best_map_api_score_long", "save_departure_arrival_score_long",
             "save_route_name_score_long", "save_stops_score_long", "save_num_via_stop_score",
             "save_via_stops_score", "route_data")


class EvalOracle:
    """``short(answer, sample)`` / ``long(answer, sample)``: the released per-sample evaluation of ``main.py``.

    ``sample`` is a FSCCS/ReasonMap row (``json`` holding the station data, ``routes``, ``station_1`` …). The
    station data goes through ``main.py``'s own save-and-reload block in a temp working directory."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        lines = (REFERENCE / "reasonmap" / "main.py").read_text(encoding="utf-8").splitlines()
        save = _cut(lines, 'metadata = sample["json"]', "json.dump(metadata")
        load = _cut(lines, "# load metro data in json", "######", include_end=False)
        short = _cut(lines, 'route_sections = short_final_answer.split("--")', 'print(f"Best map api score (short')
        long_ = _cut(lines, 'route_sections = long_final_answer.split("--")', 'print(f"Best map api score (long')
        header = "def {name}(sample, {answer}, question_long, station1, station2, country, city):"
        counters = ("correct_count_wo_via_stops_short", "weighted_correct_count_wo_via_stops_short",
                    "correct_count_wo_via_stops_long", "weighted_correct_count_wo_via_stops_long")
        pre = [f"    {c} = 0" for c in counters]
        source = "\n".join([
            "def load_metro(sample, country, city):", *save, *load, "    return metro_data", "",
            header.format(name="short_eval", answer="short_final_answer"), "    metro_data = sample['__metro__']",
            *pre, *short, "    _found = locals()", f"    return {{k: _found.get(k) for k in {_SHORT_OUT!r}}}", "",
            header.format(name="long_eval", answer="long_final_answer"), "    metro_data = sample['__metro__']",
            # main.py assigns app_via_stops only for Chinese cities and otherwise reads the previous sample's list
            # (a NameError on a first sample); it starts empty here, which equals the stale list whenever that list
            # holds none of this answer's via stops (docs/fidelity.md)
            "    app_via_stops = []",
            *pre, *long_, "    _found = locals()", f"    return {{k: _found.get(k) for k in {_LONG_OUT!r}}}", "",
        ])
        self.namespace: dict[str, Any] = {"re": re, "json": json, "os": os, "print": _noop,
                                          "clean_string": _clean_string_from_tools()}
        exec(compile(source, "reasonmap/main.py (blocks)", "exec"), self.namespace)
        self._metro: dict[tuple[str, str, int], Any] = {}

    def metro(self, sample: Mapping[str, Any]) -> dict[str, list[str]]:
        key = (sample["country"], sample["city"], id(sample["json"]))
        found = self._metro.get(key)
        if found is None:
            cwd = os.getcwd()
            os.chdir(self.workdir)
            try:
                found = self.namespace["load_metro"](sample, sample["country"], sample["city"])
            finally:
                os.chdir(cwd)
            self._metro[key] = found
        return found

    def _call(self, fn: str, answer: str, sample: Mapping[str, Any]) -> dict[str, Any]:
        s = dict(sample)
        s["__metro__"] = self.metro(sample)
        return self.namespace[fn](s, answer, sample["question_long"], sample["station_1"], sample["station_2"],
                                  sample["country"], sample["city"])

    def short(self, answer: str, sample: Mapping[str, Any]) -> dict[str, Any]:
        return self._call("short_eval", answer, sample)

    def long(self, answer: str, sample: Mapping[str, Any]) -> dict[str, Any]:
        return self._call("long_eval", answer, sample)


def reference_available() -> bool:
    return (REFERENCE / "rewardmap" / "verl" / "utils" / "reward_score" / "reason_map.py").is_file() and \
        (REFERENCE / "reasonmap" / "main.py").is_file()


def new_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="rewardmap-oracle-"))
