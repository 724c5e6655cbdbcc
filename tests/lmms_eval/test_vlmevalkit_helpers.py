"""The VLMEvalKit helpers (no vlmeval needed; runs under ``make test``): a ReasonMap split written as a VLMEvalKit
TSV and read back as VLMEvalKit reads it (pandas, tab-separated) scores exactly as ``rewardmap.scoring`` scores the
original rows; Plus predictions likewise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from rewardmap import scoring
from rewardmap.data import load_rows
from rewardmap.evaluation.simulator import ErrorRates, SimulatedModel
from rewardmap.integrations.vlmevalkit import score_planning_predictions, score_plus_predictions, write_tsv

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("vlmeval")
    for args in (["synth", "--cities", "3", "--out", root / "synth", "--size", "256", "--seed", "0"],
                 ["data", "build", "--stations", root / "synth" / "stations", "--out", root / "ds", "--quiet",
                  "--split-test-cities", "mvik,benheim"]):
        subprocess.run([str(BIN / "rewardmap"), *map(str, args)], check=True, capture_output=True, timeout=300)
    return root / "ds"


def _model(rows, root):
    return SimulatedModel(rows, root=root, errors=ErrorRates({"wrong_line": 0.4, "misread_station": 0.2}), seed=2)


@pytest.mark.parametrize("kind", ["short", "long"])
def test_tsv_round_trip_scores_as_the_original_rows(ds, tmp_path, kind):
    rows = [dict(r) for r in load_rows(str(ds / "reasonmap"), split="validation")]
    sim = _model(rows, ds)
    answers = [sim.answer(r[f"question_{kind}"]).text for r in rows]
    tsv = write_tsv(ds / "reasonmap", tmp_path / f"ReasonMap_{kind}.tsv", question=kind)
    df = pd.read_csv(tsv, sep="\t")
    assert len(df) == len(rows) and (df["image"].astype(str).str.len() > 64).sum() == len({r["figure"] for r in rows})
    df["prediction"] = answers
    got = score_planning_predictions(df.to_dict("records"))
    want = scoring.aggregate_reasonmap([
        {"correct": s.correct, "map_score": s.map_score, "difficulty_question": r["difficulty_question"],
         "difficulty_city": r["difficulty_city"], "components": s.components, "question": kind}
        for r, s in ((r, scoring.score_reasonmap(a, r, question=kind, stations_root=ds)) for r, a in zip(rows, answers))])
    assert 0 < want["accuracy"] < 1
    for key in ("accuracy", "weighted_accuracy", "map_score", "weighted_map_score"):
        assert got[key] == pytest.approx(want[key], abs=1e-12), key


def test_plus_predictions_score_as_rewardmap_scoring(ds):
    rows = [dict(r) for r in load_rows(str(ds / "reasonmap-plus"), split="test")]
    sim = _model(rows, ds)
    preds = [{"prediction": sim.answer(r["question"]).text, "answer": str(r["answer"]), "type": r["type"],
              "difficulty_city": r["difficulty_city"]} for r in rows]
    got = score_plus_predictions(preds)
    want = scoring.aggregate_plus([{"correct": scoring.score_plus(p["prediction"], r).correct, "type": r["type"],
                                    "difficulty_city": r["difficulty_city"]} for p, r in zip(preds, rows)])
    assert got == want and got["weighted_accuracy"] != got["accuracy"]
