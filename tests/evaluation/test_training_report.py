"""The training/demo report (``rewardmap.training.report.write_report``) explains itself (issue 15 item 7): the
evaluation table has n per row and a change column (after − before), the per-sample evaluation pages are generated
for the evaluation folders and linked, wide tables are split (Markdown) and scroll (HTML), wall times read as
durations, and the official map score is explained. Lives here because it reads real ``rewardmap eval`` folders."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rewardmap.evaluation.runner import EvalOptions, run_eval
from rewardmap.evaluation.samples import Subset
from rewardmap.evaluation.server import SimServer
from rewardmap.evaluation.simulator import ErrorRates, SimulatedModel, load_sim_rows


@pytest.fixture(scope="module")
def evals(synth_dataset, tmp_path_factory):
    """``{"before RL": {bench: summary}, "after RL": …}``: "before" a simulator with errors, "after" without."""
    out = tmp_path_factory.mktemp("evals")
    rows = (load_sim_rows(str(synth_dataset / "reasonmap"), None, synth_dataset)
            + load_sim_rows(str(synth_dataset / "reasonmap-plus"), None, synth_dataset))
    result = {}
    for label, errors in (("before RL", ("wrong_line=0.5", "off_by_one=0.5")), ("after RL", ())):
        with SimServer(SimulatedModel(rows, root=synth_dataset, errors=ErrorRates.parse(errors))) as srv:
            result[label] = {
                bench: run_eval(EvalOptions(benchmark=bench, data=str(synth_dataset / bench),
                                            model=f"openai:sim@{srv.url}", out=str(out / label / bench),
                                            subset=Subset(limit=12), progress=False), log=lambda m: None)
                for bench in ("reasonmap-plus", "reasonmap")}
    return result


def _run_result(tmp_path: Path):
    from rewardmap.training.runlog import RunResult, StepRecord

    names = [f"rewardmap/accuracy_{t}" for t in ("TorF1", "TorF2", "Counting1", "Counting2", "Counting3",
                                                 "planning")] + [f"rewardmap/detail_{k}" for k in "abcdef"]
    steps = [StepRecord(i, "torf" if i <= 2 else "planning", 0 if i <= 2 else 1, ["TorF1"],
                        metrics={"reward": 0.1 * i, "reward_std": 0.2, "frac_reward_zero_std": 0.5,
                                 **{n: 0.01 * i for n in names}}) for i in range(1, 5)]
    return RunResult(tmp_path, tmp_path / "final", steps, [("torf", 1, 2), ("planning", 3, 4)], 1.0)


def _records(summary) -> list[dict]:
    path = Path(summary["run"]["out"]) / "results.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_the_training_report_explains_itself(evals, tmp_path):
    from rewardmap.evaluation.report import MAP_SCORE_NOTE
    from rewardmap.training.report import MAX_COLUMNS, write_report

    paths = write_report(_run_result(tmp_path), tmp_path / "rep", title="demo", evals=evals,
                         timings={"evaluation before": 154.0, "total": 1084.2})
    md = paths["markdown"].read_text()
    # n and the change column, checked against the records themselves
    before = _records(evals["before RL"]["reasonmap-plus"])
    after = _records(evals["after RL"]["reasonmap-plus"])
    acc_b = sum(r["correct"] for r in before) / len(before)
    acc_a = sum(r["correct"] for r in after) / len(after)
    assert acc_a != acc_b
    row = next(line for line in md.splitlines() if line.startswith("| Plus overall acc |"))
    assert row == (f"| Plus overall acc | {len(after)} | {100 * acc_b:.1f}% | {100 * acc_a:.1f}% | "
                   f"{100 * (acc_a - acc_b):+.1f} pp |")
    assert "| metric | n | before RL | after RL | change (after RL − before RL) |" in md
    # every Markdown table fits: wide ones are split, the first column repeated
    widths = [line.count("|") - 1 for line in md.splitlines() if line.startswith("|")]
    assert widths and max(widths) <= MAX_COLUMNS
    assert md.count("| stage | rewardmap/") >= 2  # the 13-column component table became several
    # durations read as durations
    assert "| total | 18 min 04 s |" in md and "| evaluation before | 2 min 34 s |" in md
    assert "1084.2" not in md
    # the per-sample evaluation pages exist, hold both runs' cards, and are linked from both pages
    page = paths["evaluation"]
    assert page == tmp_path / "rep" / "evaluation" / "index.html" and page.is_file()
    eval_html = page.read_text()
    assert eval_html.count("class='card ") >= 4 and "before RL" in eval_html and "after RL" in eval_html
    assert "[evaluation/index.html](evaluation/index.html)" in md
    report_html = paths["html"].read_text()
    assert '<a href="evaluation/index.html">' in report_html
    # HTML tables scroll inside their box; no raw Markdown table syntax left over
    assert report_html.count("<div class='wrap'><table>") == len(re.findall(r"\n\n\| ", "\n\n" + md))
    assert "overflow-x:auto" in report_html
    # a ReasonMap evaluation under official scoring: the explanation is there, and the paper number beside it
    assert MAP_SCORE_NOTE in md
    assert any(line.startswith("| ReasonMap long map score, paper rules") for line in md.splitlines())


def test_no_evaluation_folders_no_link(tmp_path):
    from rewardmap.training.report import write_report

    summary = {"benchmark": "reasonmap-plus", "overall": {"n": 3, "acc": 0.5, "w_acc": 0.5},
               "run": {"out": str(tmp_path / "gone")}}
    paths = write_report(_run_result(tmp_path), tmp_path / "rep", evals={"a": {"reasonmap-plus": summary}})
    md = paths["markdown"].read_text()
    assert "evaluation" not in paths and "index.html" not in md
    assert "| Plus overall acc | 3 | 50.0% |" in md  # one label: no change column
