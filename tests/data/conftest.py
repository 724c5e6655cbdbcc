"""Fixtures of the data tests: a synthetic-style dataset root (stations/, maps/, geometry/) and a small build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datakit import SECOND_LINES, SMALL_PLUS, write_png

from toy_city import TOY_LINES


@pytest.fixture()
def toy_root(tmp_path: Path) -> Path:
    """``tmp/src`` with two cities: ``testland/toyville`` (geometry sidecar with topology and difficulty_city) and
    ``testland/twotown`` (no sidecar: computed difficulty)."""
    root = tmp_path / "src"
    for city, lines in (("toyville", TOY_LINES), ("twotown", SECOND_LINES)):
        p = root / "stations" / "testland" / f"{city}.json"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(lines, ensure_ascii=False), encoding="utf-8")
        write_png(root / "maps" / "testland" / f"{city}.png", color=(10, 200, 10) if city == "twotown" else (200, 0, 0))
    geo = root / "geometry" / "testland" / "toyville.json"
    geo.parent.mkdir(parents=True, exist_ok=True)
    geo.write_text(json.dumps({"difficulty_city": "hard", "topology": {"branch_arms": {"Line 2": ["Juliet Station"]}}}),
                   encoding="utf-8")
    return root


@pytest.fixture()
def toy_build(toy_root: Path, tmp_path: Path) -> tuple[Path, dict]:
    from rewardmap.data import build_datasets

    out = tmp_path / "out"
    res = build_datasets(toy_root / "stations", toy_root / "maps", out, seed=5, test_cities=["twotown"],
                         plus_counts=SMALL_PLUS, planning_quota=(3, 2, 1))
    return out, res
