"""The runner end to end over HTTP against the simulated server: records, resume, text-only, reasoning extraction,
subsets, failures reported per sample, and the report (tables, PNG plots, HTML page)."""

from __future__ import annotations

import json

import pytest

from rewardmap.errors import ConfigError
from rewardmap.evaluation.report import load_run, text_report
from rewardmap.evaluation.runner import EvalOptions, run_eval
from rewardmap.evaluation.samples import Subset
from rewardmap.evaluation.server import Faults, SimServer
from rewardmap.evaluation.simulator import ErrorRates, SimulatedModel, load_sim_rows


@pytest.fixture(scope="module")
def sim_rows(synth_dataset):
    return (load_sim_rows(str(synth_dataset / "reasonmap"), None, synth_dataset)
            + load_sim_rows(str(synth_dataset / "reasonmap-plus"), None, synth_dataset))


def serve(rows, root, **kw):
    faults = kw.pop("faults", None)
    return SimServer(SimulatedModel(rows, root=root, **kw), faults=faults)


def opts(srv, ds, bench, out, **kw):
    data = ds / ("reasonmap" if bench == "reasonmap" else "reasonmap-plus")
    kw.setdefault("backoff_s", 0.01)
    return EvalOptions(benchmark=bench, data=str(data), model=f"openai:sim@{srv.url}", out=str(out), progress=False,
                       **kw)


def test_end_to_end_perfect_sim_and_report(sim_rows, synth_dataset, tmp_path):
    with serve(sim_rows, synth_dataset) as srv:
        s_rm = run_eval(opts(srv, synth_dataset, "reasonmap", tmp_path / "rm"), log=lambda m: None)
        s_plus = run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "plus"), log=lambda m: None)
        assert srv.stats["with_image"] == srv.stats["requests"] > 0
    assert s_rm["short"]["acc"] == s_rm["long"]["acc"] == s_rm["short"]["w_acc"] == 1.0
    assert s_plus["overall"]["w_acc"] == s_plus["count"]["w_acc"] == s_plus["torf"]["w_acc"] == 1.0
    lines = (tmp_path / "rm" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    recs = [json.loads(x) for x in lines]
    assert len(recs) == s_rm["run"]["samples"] == 2 * 80 and len({r["id"] for r in recs}) == len(recs)
    r = recs[0]
    for key in ("response", "parsed", "correct", "map_score", "max_score", "components", "tokens", "latency_s",
                "difficulty_city", "difficulty_question", "city", "weight", "figure"):
        assert key in r, key
    assert set(r["components"]) >= {"endpoints", "route_name", "stops", "num_via", "via"}
    assert json.loads((tmp_path / "rm" / "summary.json").read_text())["short"]["n"] == 80
    # a second run finds everything done and asks nothing
    with serve(sim_rows, synth_dataset) as srv:
        again = run_eval(opts(srv, synth_dataset, "reasonmap", tmp_path / "rm"), log=lambda m: None)
        assert srv.stats["requests"] == 0
    assert again["run"]["written_now"] == 0 and again["short"]["acc"] == 1.0

    from rewardmap.cli import main

    assert main(["report", str(tmp_path / "rm"), str(tmp_path / "plus"), "--out", str(tmp_path / "rep"),
                 "--cards", "6"]) == 0
    page = (tmp_path / "rep" / "index.html").read_text(encoding="utf-8")
    assert "RewardMap Table 1 layout" in page and page.count("class='card ok'") == 12
    assert "thumbs/" in page
    from PIL import Image

    for name in ("reasonmap_overview.png", "plus_overview.png", "reasonmap_difficulty.png"):
        with Image.open(tmp_path / "rep" / name) as im:
            assert im.format == "PNG" and im.width > 300
    thumbs = list((tmp_path / "rep" / "thumbs").glob("*.png"))
    assert thumbs and all(Image.open(t).width > 10 for t in thumbs)


def test_errors_show_in_metrics_and_runs_side_by_side(sim_rows, synth_dataset, tmp_path):
    with serve(sim_rows, synth_dataset, errors=ErrorRates.parse(["wrong_line=0.5"]), seed=1) as srv:
        run_eval(opts(srv, synth_dataset, "reasonmap", tmp_path / "bad", subset=Subset(kinds=("short",))),
                 log=lambda m: None)
    with serve(sim_rows, synth_dataset) as srv:
        run_eval(opts(srv, synth_dataset, "reasonmap", tmp_path / "good", subset=Subset(kinds=("short",))),
                 log=lambda m: None)
    bad, good = load_run(tmp_path / "bad", "noisy"), load_run(tmp_path / "good", "clean")
    assert 0.2 < bad.summary["short"]["acc"] < 0.8 and good.summary["short"]["acc"] == 1.0
    assert bad.summary["short"]["map"] < good.summary["short"]["map"]
    assert bad.summary["long"] == {"n": 0}
    text = text_report([bad, good])
    assert "noisy" in text and "clean" in text and "by city" in text


def test_text_only_sends_no_image(sim_rows, synth_dataset, tmp_path):
    with serve(sim_rows, synth_dataset) as srv:
        s = run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "t", text_only=True,
                          subset=Subset(kinds=("TorF",))), log=lambda m: None)
        assert srv.stats["requests"] > 0 and srv.stats["with_image"] == 0
    assert s["overall"]["acc"] == 1.0 and set(s["by_type"]) == {"TorF1", "TorF2"}
    assert load_run(tmp_path / "t").label.endswith("(text only)")


def test_reasoning_extraction_changes_what_is_scored(sim_rows, synth_dataset, tmp_path):
    with serve(sim_rows, synth_dataset, think=True) as srv:
        raw = run_eval(opts(srv, synth_dataset, "reasonmap", tmp_path / "raw", subset=Subset(limit=10)),
                       log=lambda m: None)
        ext = run_eval(opts(srv, synth_dataset, "reasonmap", tmp_path / "ext", reasoning="auto",
                            subset=Subset(limit=10)), log=lambda m: None)
    assert raw["short"]["acc"] == 0.0  # the decoy route inside <think> breaks the official parse
    assert ext["short"]["acc"] == ext["long"]["acc"] == 1.0


def test_subsets_by_city_type_difficulty(rm_rows, plus_rows):
    from rewardmap.evaluation.samples import build_samples

    city = rm_rows[0]["city"]
    s = build_samples(rm_rows, "reasonmap", Subset(cities=(city.upper(),), kinds=("long",)))
    assert s and all(x.row["city"] == city and x.kind == "long" for x in s)
    diff = plus_rows[0]["difficulty_city"]
    p = build_samples(plus_rows, "reasonmap-plus", Subset(difficulties=(diff,), kinds=("Counting",)))
    assert p and all(x.row["difficulty_city"] == diff and x.kind.startswith("Counting") for x in p)
    assert len(build_samples(rm_rows, "reasonmap", Subset(limit=3))) == 6
    with pytest.raises(ConfigError):
        build_samples(rm_rows, "reasonmap", Subset(kinds=("TorF1",)))


def test_failures_are_recorded_and_retried_on_request(sim_rows, synth_dataset, tmp_path):
    sub = Subset(limit=4)
    with serve(sim_rows, synth_dataset, faults=Faults(fail_first=99)) as srv:
        s = run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "f", max_retries=1, subset=sub),
                     log=lambda m: None)
    assert s["run"]["errors"] == 4 and s["overall"]["acc"] == 0.0
    with serve(sim_rows, synth_dataset) as srv:
        s2 = run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "f", max_retries=1, subset=sub,
                           retry_errors=True), log=lambda m: None)
    assert s2["run"]["errors"] == 0 and s2["overall"]["acc"] == 1.0 and s2["overall"]["n"] == 4
    lines = (tmp_path / "f" / "results.jsonl").read_text().splitlines()
    assert len(lines) == 8  # redone records are appended; the reader keeps the last per id


def test_resume_refuses_a_different_run(sim_rows, synth_dataset, tmp_path):
    with serve(sim_rows, synth_dataset) as srv:
        run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "x", subset=Subset(limit=2)),
                 log=lambda m: None)
        with pytest.raises(ConfigError, match="text_only"):
            run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "x", subset=Subset(limit=2),
                          text_only=True), log=lambda m: None)


def test_api_key_is_not_written(sim_rows, synth_dataset, tmp_path, monkeypatch):
    monkeypatch.setenv("REWARDMAP_API_KEY", "sk-do-not-leak-42")
    with SimServer(SimulatedModel(sim_rows, root=synth_dataset), api_key="sk-do-not-leak-42") as srv:
        s = run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "k", subset=Subset(limit=3)),
                     log=lambda m: None)
    assert s["overall"]["acc"] == 1.0
    for f in (tmp_path / "k").iterdir():
        assert "sk-do-not-leak-42" not in f.read_text(encoding="utf-8")


def test_unreachable_server_fails_fast(synth_dataset, tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    o = EvalOptions(benchmark="reasonmap-plus", data=str(synth_dataset / "reasonmap-plus"),
                    model=f"openai:sim@http://127.0.0.1:{port}/v1", out=str(tmp_path / "u"), progress=False,
                    connect_wait_s=0)
    import time

    t0 = time.monotonic()
    with pytest.raises(ConfigError, match="cannot reach the model server"):
        run_eval(o, log=lambda m: None)
    assert time.monotonic() - t0 < 5  # refused connection, no wait asked for: at once


def test_a_failing_server_stops_the_run_and_resume_finishes_it(sim_rows, synth_dataset, tmp_path):
    from rewardmap.errors import RewardMapError

    sub = Subset(limit=10)
    with serve(sim_rows, synth_dataset, faults=Faults(fail_first=99)) as srv:
        with pytest.raises(RewardMapError, match="3 requests in a row failed"):
            run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "a", max_retries=0, subset=sub,
                          abort_after=3, concurrency=1), log=lambda m: None)
    assert len((tmp_path / "a" / "results.jsonl").read_text().splitlines()) == 3
    with serve(sim_rows, synth_dataset) as srv:
        s = run_eval(opts(srv, synth_dataset, "reasonmap-plus", tmp_path / "a", subset=sub, retry_errors=True,
                          concurrency=1), log=lambda m: None)
    assert s["overall"]["n"] == 10 and s["overall"]["acc"] == 1.0 and s["run"]["errors"] == 0


def test_inline_base64_maps_as_in_fsccs_reasonmap(synth_dataset, tmp_path):
    """FSCCS/ReasonMap stores each map as base64 in ``figure``: the model gets the image, and the report a copy."""
    from rewardmap.data import build_datasets

    build_datasets(synth_dataset / "stations", synth_dataset / "maps", tmp_path / "ds", embed_images=True,
                   test_cities=["penora", "zalgrad"], write_parquet=False)
    rows = load_sim_rows(str(tmp_path / "ds" / "reasonmap"), "validation", tmp_path / "ds")
    assert len(rows[0]["figure"]) > 1000 and not rows[0]["figure"].endswith(".png")
    with serve(rows, tmp_path / "ds") as srv:
        s = run_eval(opts(srv, tmp_path / "ds", "reasonmap", tmp_path / "b64", subset=Subset(limit=5)),
                     log=lambda m: None)
        assert srv.stats["with_image"] == 10
    assert s["short"]["acc"] == 1.0
    recs = [json.loads(x) for x in (tmp_path / "b64" / "results.jsonl").read_text().splitlines()]
    figs = {r["figure"] for r in recs}
    # one copy per city (the stratified --limit takes rows of both cities)
    assert len(figs) == len({r["city"] for r in recs}) == 2
    assert all(f and f.endswith(".png") and "figures" in f for f in figs)
    from rewardmap.cli import main

    assert main(["report", str(tmp_path / "b64"), "--no-plots", "--cards", "2"]) == 0
    page = (tmp_path / "b64" / "report" / "index.html").read_text()
    assert "thumbs/" in page and "(no map image)" not in page
