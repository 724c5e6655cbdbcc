"""The miniature world of the ablation experiment: three disjoint sets of ``mini`` cities (:mod:`rewardmap.synth`).

* pre-training cities — only the base policy's generic map reading sees them;
* RL-training cities — ReasonMap-Train rows (Plus + planning) for every recipe;
* evaluation cities — the test splits of ReasonMap-Plus and ReasonMap, never trained on and never used to pick a
  setting.

The datasets are built by the real builders (``rewardmap.data.build_datasets``). Cached: a world with the same
parameters is reused (``world.json`` written last).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from rewardmap.experiments.reading import ReadingExample, reading_examples

WORLD_STAMP = "world.json"
PRETRAIN_COUNTRY = "pretrainland"
COUNTRY = "miniland"


@dataclass(frozen=True)
class World:
    """Where a built world lives."""

    root: Path                       # figures of the pre-training questions resolve under it
    datasets: Path                   # reasonmap/, reasonmap-plus/, reasonmap-train/, maps/, stations/
    pretrain_stations: tuple[Path, ...]
    eval_cities: tuple[str, ...]
    train_cities: tuple[str, ...]
    key: str                         # digest of the parameters (the base policy's cache key includes it)

    def reading_examples(self, per_map: int, *, seed: int) -> list[ReadingExample]:
        """The base policy's pre-training questions, on the pre-training cities only."""
        from rewardmap.metro.io import load_network

        pairs = []
        for station_file in self.pretrain_stations:
            rel = Path("pretrain") / "maps" / station_file.parent.name / (station_file.stem + ".png")
            pairs.append((load_network(station_file), str(rel)))
        return reading_examples(pairs, per_map, seed=seed)

    def probe_examples(self, per_map: int, *, cities: int, seed: int) -> list[ReadingExample]:
        """Generic reading questions on the first ``cities`` RL-training cities — maps the base policy never read
        and that no evaluation uses — to measure whether it reads at all (its figures resolve under ``root``)."""
        from rewardmap.metro.io import load_network

        pairs = []
        for city in self.train_cities[:cities]:
            station_file = self.root / "synth" / "stations" / COUNTRY / f"{city}.json"
            pairs.append((load_network(station_file), str(Path("synth") / "maps" / COUNTRY / f"{city}.png")))
        return reading_examples(pairs, per_map, seed=seed)

    def tokenizer_text(self, examples: list[ReadingExample]) -> list[str]:
        """Text the tiny tokenizer is trained on: the reading questions and answers (station labels, line names)
        — the RL and evaluation questions reuse the same labels and wording of the task templates."""
        return [e.question + " " + e.answer for e in examples]


def build_world(out: str | Path, *, pretrain_cities: int, train_cities: int, eval_cities: int,
                seed: int = 0) -> World:
    """Write (or reuse) the three city sets and the datasets under ``out``."""
    out = Path(out)
    params = {"pretrain": pretrain_cities, "train": train_cities, "eval": eval_cities, "seed": seed,
              "preset": "mini", "format": 1}
    key = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]
    stamp = out / WORLD_STAMP
    if stamp.is_file():
        try:
            saved = json.loads(stamp.read_text())
            if saved.get("params") == params:
                return _world(out, saved, key)
        except json.JSONDecodeError:
            pass
    from rewardmap.data import build_datasets
    from rewardmap.synth.writer import write_cities

    shutil.rmtree(out, ignore_errors=True)
    pre = write_cities(out / "pretrain", pretrain_cities, seed=seed * 1000 + 1, preset="mini",
                       country=PRETRAIN_COUNTRY)
    rl = write_cities(out / "synth", train_cities + eval_cities, seed=seed * 1000 + 2, preset="mini",
                      country=COUNTRY)
    test = [w.city for w in rl[train_cities:]]
    build_datasets(out / "synth" / "stations", out / "synth" / "maps", out / "datasets", seed=seed,
                   test_cities=test)
    saved = {"params": params, "pretrain_stations": [str(w.stations.relative_to(out)) for w in pre],
             "train_cities": [w.city for w in rl[:train_cities]], "eval_cities": test}
    stamp.write_text(json.dumps(saved, indent=1))
    return _world(out, saved, key)


def load_world(out: str | Path) -> World:
    """A world built earlier by :func:`build_world` under ``out`` (for tools that probe a finished experiment)."""
    from rewardmap.errors import ConfigError

    stamp = Path(out) / WORLD_STAMP
    try:
        saved = json.loads(stamp.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{stamp}: not a finished world ({exc})") from None
    key = hashlib.sha256(json.dumps(saved["params"], sort_keys=True).encode()).hexdigest()[:16]
    return _world(Path(out), saved, key)


def _world(out: Path, saved: dict, key: str) -> World:
    return World(root=out, datasets=out / "datasets",
                 pretrain_stations=tuple(out / p for p in saved["pretrain_stations"]),
                 eval_cities=tuple(saved["eval_cities"]), train_cities=tuple(saved["train_cities"]), key=key)
