"""Fixtures of the evaluation tests: a small synthetic dataset (3 cities, rendered maps) built by the data
subsystem, and rows loaded from it."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def synth_dataset(tmp_path_factory) -> Path:
    """Dataset root ``OUT`` (``OUT/reasonmap``, ``OUT/reasonmap-plus``, ``OUT/maps``, ``OUT/stations``) of three
    synthetic cities (easy, middle, hard); two of them form the evaluation splits."""
    from rewardmap.data import build_datasets
    from rewardmap.synth import write_cities

    base = tmp_path_factory.mktemp("evalsynth")
    written = write_cities(base / "src", 3, seed=3, size=384)
    out = base / "ds"
    build_datasets(base / "src" / "stations", base / "src" / "maps", out, seed=0,
                   test_cities=[w.city for w in written][:2], write_parquet=False)
    return out


@pytest.fixture(scope="session")
def rm_rows(synth_dataset) -> list[dict]:
    from rewardmap.data import load_rows

    return [dict(r) for r in load_rows(synth_dataset / "reasonmap", split="validation")]


@pytest.fixture(scope="session")
def plus_rows(synth_dataset) -> list[dict]:
    from rewardmap.data import load_rows

    return [dict(r) for r in load_rows(synth_dataset / "reasonmap-plus", split="test")]
