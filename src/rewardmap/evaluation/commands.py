"""``rewardmap eval``, ``rewardmap report`` and ``rewardmap serve-sim``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

#: exit status of ``rewardmap eval`` when the run finished but samples are left failed (1: could not run at all)
EXIT_FAILED_SAMPLES = 3


def _csv(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return tuple(out)


def register(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="evaluate a model on ReasonMap / ReasonMap-Plus (resumable JSONL results)",
                        description="Ask every question of a benchmark split, score it with rewardmap.scoring and "
                                    "append one JSON line per sample to OUT/results.jsonl. Re-running the same "
                                    "command resumes where it stopped.",
                        epilog="exit status: 0 every sample answered; 3 the run finished but samples are left failed "
                               "(re-run with --retry-errors); 1 the run could not start or was stopped; 130 "
                               "interrupted. See docs/reliability.md.")
    ev.add_argument("--benchmark", required=True, choices=("reasonmap", "reasonmap-plus"))
    ev.add_argument("--data", required=True, help="dataset: save_to_disk folder, parquet/jsonl file, or hub id")
    ev.add_argument("--model", required=True,
                    help="hf:PATH | vllm:PATH | openai:MODEL@http://HOST:PORT/v1 (API key from $REWARDMAP_API_KEY "
                         "or $OPENAI_API_KEY, or the variable named by --api-key-env)")
    ev.add_argument("--out", required=True, help="results folder (created; an existing one is resumed)")
    ev.add_argument("--split", help="split to evaluate (default: validation for reasonmap, test for reasonmap-plus)")
    ev.add_argument("--root", help="folder that relative figure/json paths resolve against (default: guessed)")
    ev.add_argument("--city", action="append", metavar="CITY[,CITY]", help="only these cities")
    ev.add_argument("--type", action="append", metavar="KIND[,KIND]",
                    help="only these kinds: short,long (reasonmap) or TorF1,TorF2,Counting1..3, TorF, Counting (plus)")
    ev.add_argument("--difficulty", action="append", metavar="LEVEL[,LEVEL]", help="only these map difficulties")
    ev.add_argument("--question-difficulty", action="append", metavar="LEVEL[,LEVEL]",
                    help="only these question difficulties (reasonmap)")
    ev.add_argument("--limit", type=int, metavar="N",
                    help="only N rows (after the filters), spread evenly over city × type (reasonmap-plus) or city "
                         "× question difficulty (reasonmap), drawn with --sample-seed; the rows taken are printed "
                         "and recorded in run.json ('selection')")
    ev.add_argument("--sample", default="stratified", choices=("stratified", "first"),
                    help="how --limit picks rows: stratified (default) or first (the first N rows, in file order)")
    ev.add_argument("--sample-seed", type=int, default=0, metavar="S",
                    help="seed of the stratified --limit draw (default 0; same seed, same rows)")
    ev.add_argument("--text-only", action="store_true", help="no image: the papers' 'without visual input' ablation")
    ev.add_argument("--reasoning", default="none", choices=("none", "auto", "think", "qvq"),
                    help="answer extraction for reasoning models (think: after </think> or ◁/think▷; qvq: boxed "
                         "\\text{}; auto: think when a closer is present)")
    ev.add_argument("--variant", default="official", choices=("official", "paper"),
                    help="map-score variant of rewardmap.scoring (default official; see docs/scoring.md)")
    ev.add_argument("--parse", default="official", choices=("official", "tolerant"),
                    help="answer parser of rewardmap.scoring (default official)")
    ev.add_argument("--max-new-tokens", type=int, default=2048, help="generation budget (default 2048, as the papers)")
    ev.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    ev.add_argument("--min-pixels", type=int,
                    help="upscale maps below this many pixels (default: a local model's saved processor budget)")
    ev.add_argument("--max-pixels", type=int,
                    help="downscale maps above this many pixels before the model sees them (default: the budget "
                         "saved with a local hf:/vllm: model's processor, i.e. the one it was trained at; else "
                         "12845056, Qwen2.5-VL's default; 0 = never)")
    ev.add_argument("--system-prompt", help="system message (default: none, as the official scripts)")
    ev.add_argument("--batch-size", type=int, help="prompts per generate call (hf default 1, vllm default 64)")
    ev.add_argument("--device", help="hf/vllm: cpu, cuda, cuda:1, auto (all GPUs) … (default: cuda when available)")
    ev.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"),
                    help="hf/vllm weights dtype (default: the checkpoint's)")
    ev.add_argument("--concurrency", type=int, default=16, help="HTTP requests in flight (openai backend)")
    ev.add_argument("--timeout", type=float, default=120.0,
                    help="deadline of one HTTP attempt in seconds (connect, send, wait and read the whole reply); "
                         "each retry gets a new one (default 120)")
    ev.add_argument("--wait-for-server", type=float, default=15.0, metavar="S",
                    help="wait up to S seconds for a local server (127.0.0.1/localhost) that still refuses "
                         "connections, e.g. serve-sim started just before (default 15; 0 = fail at once)")
    ev.add_argument("--max-retries", type=int, default=4, help="HTTP retries per request")
    ev.add_argument("--backoff", type=float, default=0.5, help="first retry wait in seconds (doubles each retry)")
    ev.add_argument("--api-key-env", help="environment variable holding the API key")
    ev.add_argument("--retry-errors", action="store_true", help="on resume, redo samples whose request failed")
    ev.add_argument("--abort-after", type=int, default=64, metavar="N",
                    help="stop when N requests in a row fail after their retries (default 64; 0 = never)")
    ev.add_argument("--fsync", action="store_true", help="fsync after every record (survives power loss too)")
    ev.add_argument("--quiet", action="store_true",
                    help="no progress and no summary table (the final results line is always printed)")
    ev.set_defaults(func=_eval)

    rp = sub.add_parser("report", help="tables, plots and an HTML page for one or more evaluation folders")
    rp.add_argument("dirs", nargs="+", metavar="DIR", help="folders written by `rewardmap eval`")
    rp.add_argument("--out", help="report folder (default: DIR/report of the first DIR)")
    rp.add_argument("--label", action="append", help="display name per DIR, in order (default: model name)")
    rp.add_argument("--cards", type=int, default=48, help="sample cards per run in the HTML page (default 48)")
    rp.add_argument("--markdown", action="store_true", help="print Markdown tables instead of plain text")
    rp.add_argument("--no-html", action="store_true")
    rp.add_argument("--no-plots", action="store_true")
    rp.set_defaults(func=_report)

    ss = sub.add_parser("serve-sim", help="a simulated OpenAI-compatible model that answers from the ground truth",
                        description="Serve /v1/chat/completions on 127.0.0.1; questions are looked up in --data and "
                                    "answered correctly except for the injected errors.")
    ss.add_argument("--data", required=True, action="append", help="dataset(s) whose questions it answers")
    ss.add_argument("--split", help="only this split (default: every split)")
    ss.add_argument("--root", help="folder that relative json paths resolve against (default: guessed)")
    ss.add_argument("--host", default="127.0.0.1")
    ss.add_argument("--port", type=int, default=8000, help="port (0 = any free port)")
    ss.add_argument("--port-file", help="write the chosen port to this file once listening")
    ss.add_argument("--model-name", default="sim")
    ss.add_argument("--error", action="append", default=[], metavar="KIND[:TYPE]=RATE",
                    help="error rate: wrong_line, misread_station, missing_transfer, off_by_one, broken_format; "
                         "optionally per task type (planning, TorF1, …), e.g. --error off_by_one:Counting2=0.3")
    ss.add_argument("--seed", type=int, default=0, help="seed of the per-question error draws")
    ss.add_argument("--think", action="store_true", help="wrap answers in <think>…</think> with a decoy inside")
    ss.add_argument("--fail-first", type=int, default=0, help="fail the first N requests of every question (HTTP 500)")
    ss.add_argument("--fail-rate", type=float, default=0.0, help="random HTTP 500 rate")
    ss.add_argument("--delay-ms", type=float, default=0.0, help="latency added to every request")
    ss.add_argument("--hang-rate", type=float, default=0.0, help="rate of requests that stall for --hang-s")
    ss.add_argument("--hang-s", type=float, default=30.0)
    ss.add_argument("--api-key-env", help="require 'Authorization: Bearer $VAR'")
    ss.add_argument("--max-body-mb", type=float, default=64.0,
                    help="largest request body accepted, MiB (default 64); larger ones get HTTP 413")
    ss.add_argument("--idle-timeout", type=float, default=30.0, metavar="S",
                    help="close a connection (HTTP 408) that sends no complete request for S seconds (default 30)")
    ss.add_argument("--workers", type=int, default=8,
                    help="threads answering requests (default 8); connections themselves hold no thread")
    ss.add_argument("--verbose", action="store_true", help="log every request")
    ss.set_defaults(func=_serve_sim)


def _eval(args: argparse.Namespace) -> int:
    import math

    from rewardmap.errors import ConfigError
    from rewardmap.evaluation.progress import human_duration
    from rewardmap.evaluation.report import load_run, result_line, text_report
    from rewardmap.evaluation.runner import MODEL_BUDGET, EvalOptions, run_eval
    from rewardmap.evaluation.samples import Subset

    for flag, value in (("--timeout", args.timeout), ("--wait-for-server", args.wait_for_server)):
        if not math.isfinite(value) or value < 0 or (flag == "--timeout" and value == 0):
            raise ConfigError(f"{flag} {value:g}: expected a finite number of seconds"
                              + (" > 0" if flag == "--timeout" else " >= 0"))
    subset = Subset(_csv(args.city), _csv(args.type), _csv(args.difficulty), _csv(args.question_difficulty),
                    args.limit, sample=args.sample, seed=args.sample_seed)
    opts = EvalOptions(benchmark=args.benchmark, data=args.data, model=args.model, out=args.out, split=args.split,
                       root=args.root, subset=subset, text_only=args.text_only, reasoning=args.reasoning,
                       variant=args.variant, parse=args.parse, max_new_tokens=args.max_new_tokens, temperature=args.temperature,
                       min_pixels=MODEL_BUDGET if args.min_pixels is None else (args.min_pixels or None),
                       max_pixels=MODEL_BUDGET if args.max_pixels is None else (args.max_pixels or None),
                       system_prompt=args.system_prompt, batch_size=args.batch_size, device=args.device,
                       dtype=args.dtype, concurrency=args.concurrency,
                       timeout_s=args.timeout, max_retries=args.max_retries, backoff_s=args.backoff,
                       api_key_env=args.api_key_env, retry_errors=args.retry_errors,
                       abort_after=args.abort_after, fsync=args.fsync, connect_wait_s=args.wait_for_server,
                       progress=not args.quiet)
    summary = run_eval(opts)
    info = summary["run"]
    if not args.quiet:
        print(text_report([load_run(args.out)]))
    # the final results line is printed even under --quiet: it is the one line a script or a person reads
    print(f"{result_line(summary)}; {info['samples']} samples ({info['written_now']} new in "
          f"{human_duration(info['seconds_now'])}, {info['errors']} with backend errors) → "
          f"{Path(args.out) / 'results.jsonl'}")
    if info["errors"]:
        shown = ", ".join(info.get("failed_ids", [])[:5])
        print(f"error: {info['errors']} of {info['samples']} samples failed (e.g. {shown}; see 'error' in "
              f"{Path(args.out) / 'results.jsonl'}) and count as wrong; fix the model/server, then re-run the same "
              f"command with --retry-errors to ask them again", file=sys.stderr)
        return EXIT_FAILED_SAMPLES
    return 0


def _report(args: argparse.Namespace) -> int:
    from rewardmap.errors import ConfigError
    from rewardmap.evaluation.report import load_run, text_report, write_evaluation_report

    labels = args.label or []
    if len(labels) > len(args.dirs):
        raise ConfigError(f"{len(labels)} --label values for {len(args.dirs)} folders")
    runs = [load_run(d, labels[i] if i < len(labels) else None) for i, d in enumerate(args.dirs)]
    out = Path(args.out) if args.out else Path(args.dirs[0]) / "report"
    paths = write_evaluation_report(runs, out, plots=not args.no_plots, html=not args.no_html,
                                    cards_per_run=args.cards)
    print(text_report(runs, markdown=args.markdown))
    if "html" in paths:
        print(f"HTML report: {paths['html']}")
    plots = paths["plots"]
    print(f"tables: {paths['tables']}" + (f"; plots: {', '.join(p.name for p in plots)}" if plots else ""))
    return 0


#: Question columns of the public schemas: ReasonMap-Plus ``question``; ReasonMap ``question_short``/``question_long``.
QUESTION_COLUMNS = ("question", "question_short", "question_long")


def _is_dataset_dir(path: Path) -> bool:
    return path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "state.json").is_file())


def load_sim_data(datas: list[str], split: str | None, root: Path | None, log=None) -> list[dict]:
    """Rows for ``serve-sim``: each ``--data`` is a dataset, or a folder holding datasets (the ``--out`` of
    ``rewardmap data build``), in which case every dataset inside is served and named in the log. Raises
    :class:`ConfigError` when no question is found, naming what was expected."""
    from rewardmap.errors import ConfigError, RewardMapError
    from rewardmap.evaluation.runner import default_root
    from rewardmap.evaluation.simulator import load_sim_rows

    log = log or (lambda msg: print(msg, file=sys.stderr))
    expected = ("expected a dataset written by `rewardmap data build` (e.g. DIR/reasonmap or DIR/reasonmap-plus), "
                "a parquet/jsonl file, or the folder holding those datasets")
    where = f" (split {split!r})" if split else ""
    rows: list[dict] = []
    for data in datas:
        path = Path(data)
        children = [] if _is_dataset_dir(path) or not path.is_dir() else sorted(
            p for p in path.iterdir() if _is_dataset_dir(p))
        if children:
            used, skipped = [], []
            for child in children:
                try:
                    got = load_sim_rows(str(child), split, root or default_root(child))
                except RewardMapError as exc:
                    skipped.append(f"{child.name} ({exc})")
                    continue
                rows += got
                used.append(f"{child.name} ({len(got)} rows)")
            log(f"serve-sim: {data} is a folder of datasets; serving {', '.join(used) or 'none of them'}"
                + (f"; skipped {'; '.join(skipped)}" if skipped else ""))
            continue
        try:
            rows += load_sim_rows(data, split, root or default_root(data))
        except RewardMapError as exc:
            raise ConfigError(f"serve-sim: no questions in --data {data}{where}: {exc}; {expected}") from None
    if not any(isinstance(r.get(k), str) and r[k].strip() for r in rows for k in QUESTION_COLUMNS):
        raise ConfigError(f"serve-sim: no questions in --data {', '.join(datas)}{where}; {expected}")
    return rows


def _serve_sim(args: argparse.Namespace) -> int:
    from rewardmap.evaluation.runner import default_root
    from rewardmap.evaluation.server import Faults, SimServer
    from rewardmap.evaluation.simulator import ErrorRates, SimulatedModel

    errors = ErrorRates.parse(args.error)
    root = Path(args.root) if args.root else None
    rows = load_sim_data(args.data, args.split, root)
    model = SimulatedModel(rows, root=root or default_root(args.data[0]), errors=errors, seed=args.seed,
                           think=args.think)
    if not len(model):
        from rewardmap.errors import ConfigError

        raise ConfigError(f"serve-sim: the rows of --data {', '.join(args.data)} hold no question the simulator can "
                          f"answer; expected ReasonMap or ReasonMap-Plus rows")
    api_key = None
    if args.api_key_env:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            from rewardmap.errors import ConfigError

            raise ConfigError(f"--api-key-env {args.api_key_env}: the variable is not set")
    faults = Faults(args.fail_first, args.fail_rate, args.delay_ms / 1000.0, args.hang_rate, args.hang_s, args.seed)
    server = SimServer(model, host=args.host, port=args.port, model_name=args.model_name, faults=faults,
                       api_key=api_key, quiet=not args.verbose, max_body_bytes=int(args.max_body_mb * 2**20),
                       idle_timeout_s=args.idle_timeout, workers=args.workers)
    if args.port_file:
        Path(args.port_file).write_text(str(server.server_address[1]), encoding="utf-8")
    # bound and listening from here on (connections wait in the backlog until the loop below accepts them)
    print(f"serve-sim: ready, listening on {server.url} (model {args.model_name!r}, {len(model)} questions, "
          f"errors {errors.to_dict()}); Ctrl-C to stop", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        print(f"serve-sim: stopped; {server.stats}", file=sys.stderr)
    return 0
