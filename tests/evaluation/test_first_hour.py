"""Issue 15 ("the first hour of a new user"), evaluation side: a stratified ``--limit`` that says what it took,
unknown filter values refused with what exists, the final results line under ``--quiet``, progress of long
phases, and the official-vs-paper map score explained in the report."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from rewardmap.cli import main
from rewardmap.evaluation.progress import Progress, human_duration, phase
from rewardmap.evaluation.samples import Subset, build_samples, select_samples
from rewardmap.evaluation.server import SimServer
from rewardmap.evaluation.simulator import SimulatedModel, load_sim_rows


def _stratum(row) -> tuple[str, str]:
    return str(row["city"]), str(row["type"])


# ------------------------------------------------------------------------------------------ stratified --limit
def test_limit_is_spread_evenly_over_city_and_type_and_is_seeded(plus_rows):
    strata = Counter(_stratum(r) for r in plus_rows)
    assert len({c for c, _ in strata}) >= 2 and len(strata) >= 8  # the fixture has two cities × five types
    n = 2 * len(strata) - 3
    got = build_samples(plus_rows, "reasonmap-plus", Subset(limit=n))
    assert len(got) == n
    taken = Counter(_stratum(s.row) for s in got)
    assert set(taken) == set(strata)  # every city × type is there
    # evenly: every stratum gets ⌊n/k⌋ or ⌈n/k⌉ rows unless it has fewer
    for key, count in strata.items():
        assert taken[key] in {min(count, n // len(strata)), min(count, -(-n // len(strata)))}, key
    again = build_samples(plus_rows, "reasonmap-plus", Subset(limit=n))
    assert [s.id for s in again] == [s.id for s in got]  # deterministic
    other = build_samples(plus_rows, "reasonmap-plus", Subset(limit=n, seed=1))
    assert [s.id for s in other] != [s.id for s in got]  # seeded
    first = build_samples(plus_rows, "reasonmap-plus", Subset(limit=n, sample="first"))
    assert [s.index for s in first] == list(range(n))  # the old behaviour: the first N rows


def test_limit_on_reasonmap_spreads_over_city_and_question_difficulty(rm_rows):
    strata = Counter((r["city"], r["difficulty_question"]) for r in rm_rows)
    sel = select_samples(rm_rows, "reasonmap", Subset(limit=len(strata)))
    rows = {s.index for s in sel.samples}
    assert Counter((rm_rows[i]["city"], rm_rows[i]["difficulty_question"]) for i in rows) == Counter(strata.keys())
    assert sel.info["rows"] == len(strata) and sel.info["of_rows"] == len(rm_rows)
    assert sel.info["by_city"] == dict(sorted(Counter(rm_rows[i]["city"] for i in rows).items()))


def test_eval_prints_and_records_what_the_limit_took(synth_dataset, tmp_path, capsys):
    rows = load_sim_rows(str(synth_dataset / "reasonmap-plus"), None, synth_dataset)
    with SimServer(SimulatedModel(rows, root=synth_dataset)) as srv:
        rc = main(["eval", "--benchmark", "reasonmap-plus", "--data", str(synth_dataset / "reasonmap-plus"),
                   "--model", f"openai:sim@{srv.url}", "--out", str(tmp_path / "e"), "--limit", "10", "--quiet"])
    assert rc == 0
    cap = capsys.readouterr()
    info = json.loads((tmp_path / "e" / "run.json").read_text())["selection"]
    recs = [json.loads(x) for x in (tmp_path / "e" / "results.jsonl").read_text().splitlines()]
    assert info["mode"] == "stratified" and info["rows"] == 10 and info["seed"] == 0
    assert info["by_city"] == dict(sorted(Counter(r["city"] for r in recs).items()))
    assert info["by_type"] == dict(sorted(Counter(r["kind"] for r in recs).items()))
    per_city = ", ".join(f"{c} {n}" for c, n in info["by_city"].items())
    assert f"--limit 10 (stratified, seed 0): 10 of {info['of_rows']} rows; per city: {per_city}" in cap.err


# ------------------------------------------------------------------------------------------ --quiet
def test_quiet_still_prints_the_final_results_line(synth_dataset, tmp_path, capsys):
    rows = load_sim_rows(str(synth_dataset / "reasonmap-plus"), None, synth_dataset)
    with SimServer(SimulatedModel(rows, root=synth_dataset)) as srv:
        rc = main(["eval", "--benchmark", "reasonmap-plus", "--data", str(synth_dataset / "reasonmap-plus"),
                   "--model", f"openai:sim@{srv.url}", "--out", str(tmp_path / "q"), "--limit", "6", "--quiet"])
    assert rc == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, out  # no table under --quiet, but the results line
    summary = json.loads((tmp_path / "q" / "summary.json").read_text())
    assert out[0].startswith(f"reasonmap-plus: W-Acc {100 * summary['overall']['w_acc']:.2f}%")
    assert "6 samples (6 new in" in out[0] and str(tmp_path / "q" / "results.jsonl") in out[0]


# ------------------------------------------------------------------------------------------ unknown filters
def _eval_args(ds, tmp_path, *extra):
    # nothing listens on port 9: a refusal must come before any request
    return ["eval", "--benchmark", "reasonmap-plus", "--data", str(ds / "reasonmap-plus"), "--model",
            "openai:sim@http://127.0.0.1:9/v1", "--out", str(tmp_path / "u"), "--wait-for-server", "0", *extra]


def test_an_unknown_city_is_refused_naming_the_cities_there_are(synth_dataset, plus_rows, tmp_path, capsys):
    assert main(_eval_args(synth_dataset, tmp_path, "--city", "paris")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    cities = sorted({r["city"] for r in plus_rows})
    assert err[-1] == f"error: --city paris: no such city in this split; its cities are {', '.join(cities)}"


@pytest.mark.parametrize(("flag", "value", "expected"), [
    ("--difficulty", "impossible", "error: --difficulty impossible: not a difficulty; expected easy, middle, hard"),
    ("--type", "Counting9", "error: --type counting9: not a question kind of reasonmap-plus; expected one of "
                            "TorF1, TorF2, Counting1, Counting2, Counting3, TorF, Counting"),
])
def test_unknown_filter_values_are_refused(synth_dataset, tmp_path, capsys, flag, value, expected):
    assert main(_eval_args(synth_dataset, tmp_path, flag, value)) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == expected


def test_filters_that_match_nothing_are_refused(synth_dataset, plus_rows, tmp_path, capsys):
    levels = {r["difficulty_city"] for r in plus_rows}
    absent = next(d for d in ("easy", "middle", "hard") if d not in levels)
    assert main(_eval_args(synth_dataset, tmp_path, "--difficulty", absent)) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"error: --difficulty {absent}: no question matches; the split has ")
    for city in {r["city"] for r in plus_rows}:
        assert city in err


# ------------------------------------------------------------------------------------------ progress
class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_progress_lines_are_periodic_and_quiet_for_short_phases():
    clock, lines = Clock(), []
    p = Progress("eval x", 100, log=lines.append, tty=False, clock=clock, timer=False)
    p.tick()  # what the timer does after 3 s: before any answer, a sign of life
    for i in range(1, 101):
        clock.t = i * 0.5  # 50 s in all
        p.update(1, "accuracy so far 50.0%")
        if i == 20:
            p.tick()
    p.close()
    assert lines == ["eval x: 0/100 questions (0%), 0.0 s elapsed",
                     "eval x: 20/100 questions (20%), accuracy so far 50.0%, 10 s elapsed, about 40 s left",
                     "eval x: 100/100 questions in 50 s, accuracy so far 50.0%"]
    quick, short = Clock(), []
    q = Progress("eval y", 10, log=short.append, tty=False, clock=quick, timer=False)
    for i in range(10):
        quick.t = i * 0.2
        q.update(1)
    q.close()
    assert short == []  # a phase of 2 s says nothing


def test_progress_timer_speaks_while_a_batch_is_being_answered():
    """A local model answers 16 questions per call: lines must come while the first call runs, not after it."""
    import time

    lines: list[str] = []
    p = Progress("eval z", 16, log=lines.append, tty=False, delay_s=0.1, every_s=0.1)
    time.sleep(0.45)  # the batch is still being generated
    assert len(lines) >= 2 and all(ln.startswith("eval z: 0/16 questions (0%), ") for ln in lines)
    p.update(16)
    p.close()
    assert lines[-1].startswith("eval z: 16/16 questions in ")


def test_an_uncounted_phase_speaks_only_when_it_is_long():
    import time

    lines: list[str] = []
    with phase("eval: loading the model", log=lines.append, delay_s=0.2, every_s=0.2):
        time.sleep(0.5)
    assert lines[0].startswith("eval: loading the model … (") and lines[-1].startswith(
        "eval: loading the model: done in ")
    lines.clear()
    with phase("eval: loading rows", log=lines.append, delay_s=0.5):
        pass
    assert lines == []


def test_the_runner_reports_progress_of_a_long_run(synth_dataset, tmp_path, monkeypatch):
    import functools

    from rewardmap.evaluation import runner

    monkeypatch.setattr(runner, "Progress", functools.partial(Progress, delay_s=0, every_s=0.05, tty=False))
    rows = load_sim_rows(str(synth_dataset / "reasonmap-plus"), None, synth_dataset)
    logs: list[str] = []
    with SimServer(SimulatedModel(rows, root=synth_dataset)) as srv:
        runner.run_eval(runner.EvalOptions(benchmark="reasonmap-plus", data=str(synth_dataset / "reasonmap-plus"),
                                           model=f"openai:sim@{srv.url}", out=str(tmp_path / "p"),
                                           subset=Subset(limit=5), concurrency=1), log=logs.append)
    counted = [m for m in logs if m.startswith("eval reasonmap-plus: ")]
    assert counted[0].startswith("eval reasonmap-plus: 0/5 questions (0%), ")  # the timer's first line
    assert counted[-1].startswith("eval reasonmap-plus: 5/5 questions in ")
    assert counted[-1].endswith("accuracy so far 100.0%")


@pytest.mark.parametrize(("seconds", "text"), [(0.42, "0.4 s"), (12.34, "12 s"), (1084.2, "18 min 04 s"),
                                               (7500, "2 h 05 min"), (None, "–")])
def test_human_durations(seconds, text):
    assert human_duration(seconds) == text


# ------------------------------------------------------------------------------------------ official vs paper
def test_report_puts_the_paper_map_score_beside_the_official_one_and_says_why(synth_dataset, tmp_path, capsys):
    from rewardmap.evaluation.report import MAP_SCORE_NOTE

    rows = load_sim_rows(str(synth_dataset / "reasonmap"), None, synth_dataset)
    with SimServer(SimulatedModel(rows, root=synth_dataset)) as srv:  # error-free: every answer is right
        assert main(["eval", "--benchmark", "reasonmap", "--data", str(synth_dataset / "reasonmap"), "--model",
                     f"openai:sim@{srv.url}", "--out", str(tmp_path / "rm"), "--quiet"]) == 0
    recs = [json.loads(x) for x in (tmp_path / "rm" / "results.jsonl").read_text().splitlines()]
    assert all(r["correct"] for r in recs)
    # the note's numbers, from the records: a perfect one-section long answer with the via count (names ending in
    # "Station"); a via-stop list in an English-named city earns no via points under official
    one = [r for r in recs if r["template"] == "long1" and str(r["station_1"]).endswith("Station")
           and r["question_transfer_count"] == 0]
    assert one and {(r["map_score"], r["map_score_paper"]) for r in one} == {(27.0, 29.0)}
    lists = [r for r in recs if r["template"] == "long2" and r["country"] != "china"]
    assert lists and all(r["components"]["via"] == 0 for r in lists)
    assert any(r["map_score_paper"] > r["map_score"] for r in lists)
    capsys.readouterr()
    assert main(["report", str(tmp_path / "rm"), "--out", str(tmp_path / "rep"), "--no-plots"]) == 0
    text = capsys.readouterr().out
    assert "Map score, official vs paper" in text and "quirk 14" in text
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    sel = [r for r in recs if r["template"] == "long2"]
    cell = f"{mean([r['map_score'] for r in sel]):.2f} / {mean([r['map_score_paper'] for r in sel]):.2f} of 40"
    assert cell in text
    page = (tmp_path / "rep" / "index.html").read_text()
    import html as _html

    assert _html.escape(MAP_SCORE_NOTE) in page and cell in page
    assert "class='table-wrap'" in page  # wide tables scroll inside their box



def test_the_budget_line_says_which_bound_was_given(tmp_path):
    """The demo passes --max-pixels and leaves the min to the model: the line must not claim the given max came
    from the default (it printed 'max 50176 … from the default (12845056 px …)')."""
    from rewardmap.evaluation.runner import MODEL_BUDGET, EvalOptions, resolve_image_budget

    opts, source = resolve_image_budget(EvalOptions(benchmark="reasonmap-plus", data="x", out=str(tmp_path),
                                                    model=f"hf:{tmp_path}", max_pixels=50176,
                                                    min_pixels=MODEL_BUDGET))
    assert opts.max_pixels == 50176 and opts.min_pixels is None
    assert source == "--max-pixels for the max, the default (Qwen2.5-VL's: max 12845056 px, no min) for the min"
