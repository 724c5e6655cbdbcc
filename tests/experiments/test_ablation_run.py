"""A real (tiny) ablation run: world → base policy → two recipes → table, then a resumed call that reuses every
finished part. The table's numbers are recomputed from the evaluation runner's own per-sample results."""

from __future__ import annotations

import json

import pytest

from rewardmap.experiments.ablation import Budget, run_ablation
from rewardmap.experiments.base_policy import PretrainSettings

pytestmark = pytest.mark.integration

SMOKE = Budget("smoke", pretrain_cities=2, train_cities=2, eval_cities=1,
               pretrain=PretrainSettings(steps=4, batch_size=4, per_map=8), steps=4, seeds=(0,),
               prompts_per_step=2, num_generations=2, max_completion_length=8, sft_steps=2,
               recipes=("rl-planning", "rewardmap"))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ablation")
    lines: list[str] = []
    doc = run_ablation(out, SMOKE, progress=False, log=lines.append)
    return out, doc, lines



def test_outputs_and_steps(run):
    out, doc, lines = run
    for name in ("ablation.md", "ablation.json", "ablation.html"):
        assert (out / name).is_file()
    assert {(r["recipe"], r["seed"]) for r in doc["runs"]} == {("rl-planning", 0), ("rewardmap", 0)}
    for recipe, stages in (("rl-planning", 1), ("rewardmap", 4)):
        metrics = (out / "runs" / recipe / "seed-0" / "train" / "metrics.jsonl").read_text().splitlines()
        assert len(metrics) == SMOKE.steps  # the same step budget whatever the number of stages
        assert len({json.loads(m)["stage"] for m in metrics}) == stages
    # the planning-only recipe trained on planning rows only
    for m in (out / "runs" / "rl-planning" / "seed-0" / "train" / "metrics.jsonl").read_text().splitlines():
        assert set(json.loads(m)["types"]) == {"planning"}
    assert any(line.startswith("  rewardmap seed 0:") for line in lines)


def test_table_equals_the_per_sample_results(run):
    out, doc, _ = run
    for recipe in ("rl-planning", "rewardmap"):
        res = out / "runs" / recipe / "seed-0" / "eval" / "reasonmap-plus" / "results.jsonl"
        rows = [json.loads(line) for line in res.read_text().splitlines() if line.strip()]
        assert rows
        acc = sum(1 for r in rows if r["correct"]) / len(rows)
        assert doc["table"][recipe]["plus_acc"]["mean"] == pytest.approx(acc)


def test_the_base_reading_probe_is_scored_from_its_own_answers_on_rl_training_cities(run):
    """The probe's accuracies are exact matches recomputed from the saved question/answer/response records, and its
    maps are RL-training cities, never evaluation cities."""
    out, doc, _ = run
    saved = json.loads((out / "base-reading.json").read_text())["reading"]
    world = json.loads((out / "world" / "world.json").read_text())
    records = saved["records"]
    assert records and saved["questions"] == len(records)
    cities = {r["figure"].rsplit("/", 1)[-1].removesuffix(".png") for r in records}
    assert cities <= set(world["train_cities"]) and not cities & set(world["eval_cities"])
    for task, row in saved["tasks"].items():
        mine = [r for r in records if r["task"] == task]
        assert row["n"] == len(mine)
        assert row["correct"] == sum(r["response"].strip() == r["answer"].strip() for r in mine)
    rides = [r for r in records if r["task"] in ("ride", "ride2")]
    copied = [r for r in rides if "Departure Stop: " + r["question"].split(" from ", 1)[1].split(" to ", 1)[0]
              in r["response"]]
    assert saved["rides"] == len(rides) and saved["departure_copied"] == pytest.approx(len(copied) / len(rides))
    assert "## The base policy's generic reading" in (out / "ablation.md").read_text()
    assert doc["base_reading"]["tasks"] == saved["tasks"]


def test_evaluation_cities_are_held_out(run):
    out, _doc, _ = run
    world = json.loads((out / "world" / "world.json").read_text())
    assert not set(world["eval_cities"]) & set(world["train_cities"])
    train = json.loads((out / "world" / "datasets" / "manifest.json").read_text())["cities"]
    assert {c["city"] for c in train if c["split"] == "test"} == set(world["eval_cities"])


def test_a_second_call_reuses_every_finished_part(run):
    out, doc, _ = run
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("result.json")}
    base = (out / "base" / "base.json").stat().st_mtime_ns
    lines: list[str] = []
    again = run_ablation(out, SMOKE, progress=False, log=lines.append)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("result.json")} == stamps
    assert (out / "base" / "base.json").stat().st_mtime_ns == base
    assert again["table"] == doc["table"]


def test_report_says_what_moved_and_links_the_evaluation_pages(run):
    out, doc, _ = run
    md = (out / "ablation.md").read_text()
    assert "## What moved and what did not" in md
    assert len(doc["what_moved"]) == 2 and all(line in md for line in doc["what_moved"])
    assert doc["question_counts"]["plus_acc"] == doc_count(out)
    page = out / "evaluation" / "index.html"
    assert page.is_file() and 'href="evaluation/index.html"' in (out / "ablation.html").read_text()
    for recipe in ("rl-planning", "rewardmap"):
        assert (out / "runs" / recipe / "seed-0" / "train" / "report.html").is_file()


def doc_count(out) -> int:
    res = out / "base-eval" / "reasonmap-plus" / "results.jsonl"
    return sum(1 for line in res.read_text().splitlines() if line.strip())


def test_demo_command_resumes_the_same_experiment(run, monkeypatch, capsys):
    """``rewardmap demo`` is the ablation's demo budget: pointed at a finished experiment of that budget it reruns
    nothing and prints the report's what-moved lines."""
    from dataclasses import replace

    from rewardmap.cli import main
    from rewardmap.experiments import ablation

    out, doc, _ = run
    monkeypatch.setitem(ablation.BUDGETS, "demo", replace(SMOKE, name="demo"))
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("result.json")}
    assert main(["demo", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "What moved and what did not" in printed
    assert doc["what_moved"][0].replace("**", "") in printed
    assert {p: p.stat().st_mtime_ns for p in out.rglob("result.json")} == stamps
