"""The resumable evaluation runner behind ``rewardmap eval``.

``OUT/run.json`` holds the run's identity (benchmark, data, split, model spec, subset, options that change answers);
``OUT/results.jsonl`` one record per sample, appended the moment the sample is scored. Running the same command
again resumes: complete records are kept, a partial last line (``kill -9`` mid-write) is cut and redone, and nothing
is duplicated. Running with a *different* identity into the same folder is refused (:class:`ConfigError`) so two
runs are never mixed, and while a run is going on ``OUT`` is locked (:class:`~rewardmap.evaluation.store.OutputLock`):
a second run on the same folder is refused with the holder's pid and host. ``OUT/summary.json`` is (re)written at the
end. Whatever a model or server returns, the runner does not raise: the sample is recorded with ``error`` set and
the run goes on (docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass, replace
from pathlib import Path
from typing import Any

from rewardmap.errors import ConfigError, RewardMapError
from rewardmap.evaluation.backends import Backend, ImageRef, Prompt, RetryPolicy, make_backend, parse_model_spec
from rewardmap.evaluation.extract import extract_answer
from rewardmap.evaluation.progress import Progress, phase
from rewardmap.evaluation.samples import (
    DEFAULT_SPLIT,
    LABEL_COLUMNS,
    ImageLoader,
    Sample,
    Subset,
    describe_selection,
    figure_key,
    is_inline_image,
    select_samples,
)
from rewardmap.evaluation.store import OutputLock, ResultsWriter

RESULTS = "results.jsonl"
RUN = "run.json"
SUMMARY = "summary.json"
#: Qwen2.5-VL's default image budget (16384·28·28 px); maps above it are downscaled before they reach a backend.
DEFAULT_MAX_PIXELS = 16384 * 28 * 28
#: ``EvalOptions.max_pixels`` / ``min_pixels`` default: the budget saved with a local model's processor
#: (``preprocessor_config.json``), else :data:`DEFAULT_MAX_PIXELS` (see :func:`resolve_image_budget`).
MODEL_BUDGET = "model"
#: Options that change what the model answers or how it is scored; a resumed run must repeat them exactly.
IDENTITY_KEYS = ("benchmark", "data", "split", "model", "subset", "text_only", "reasoning", "variant", "parse",
                 "max_new_tokens", "temperature", "min_pixels", "max_pixels", "system_prompt", "questions_sha1")


@dataclass(frozen=True)
class EvalOptions:
    """Everything ``rewardmap eval`` needs. ``variant`` selects the scoring variant of ``rewardmap.scoring``
    (``official`` by default, comparable with published tables)."""

    benchmark: str
    data: str
    model: str
    out: str
    split: str | None = None
    root: str | None = None
    subset: Subset = field(default_factory=Subset)
    text_only: bool = False
    reasoning: str = "none"
    variant: str = "official"
    parse: str = "official"
    max_new_tokens: int = 2048
    temperature: float = 0.0
    min_pixels: int | str | None = MODEL_BUDGET
    max_pixels: int | str | None = MODEL_BUDGET
    system_prompt: str | None = None
    batch_size: int | None = None
    device: str | None = None
    dtype: str = "auto"
    concurrency: int = 16
    timeout_s: float = 120.0
    max_retries: int = 4
    backoff_s: float = 0.5
    api_key_env: str | None = None
    retry_errors: bool = False
    abort_after: int = 64
    fsync: bool = False
    progress: bool = True
    #: seconds to wait for a *local* server (127.0.0.1/localhost) that refuses connections at start (serve-sim
    #: started in the background just before); remote servers are never waited for
    connect_wait_s: float = 15.0

    def identity(self) -> dict:
        d = {k: getattr(self, k) for k in IDENTITY_KEYS if hasattr(self, k)}
        d["subset"] = self.subset.to_dict()
        d["split"] = self.split or DEFAULT_SPLIT.get(self.benchmark)
        d["data"] = str(Path(self.data).resolve()) if Path(self.data).exists() else self.data
        spec = parse_model_spec(self.model)
        d["model"] = f"{spec.kind}:{spec.path}"  # a server URL may change between sessions; the model may not
        return d


#: Where a saved processor keeps its image budget: transformers 5 writes ``processor_config.json`` with the image
#: processor's settings under ``image_processor``; older versions (and many hub models) ``preprocessor_config.json``.
PROCESSOR_FILES = (("processor_config.json", "image_processor"), ("preprocessor_config.json", None))


def saved_image_budget(model_dir: str | Path) -> tuple[int | None, int | None, Path] | None:
    """(min, max) pixels saved with a local model's image processor (``size.shortest_edge`` / ``longest_edge``, or
    the legacy ``min_pixels`` / ``max_pixels``) and the file they came from, or None when the folder has no
    readable processor config with a budget."""

    def number(*values):
        for v in values:
            if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
                return int(v)
        return None

    for name, key in PROCESSOR_FILES:
        path = Path(model_dir) / name
        try:
            cfg = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if key is not None:
            cfg = cfg.get(key) if isinstance(cfg, dict) else None
        if not isinstance(cfg, dict):
            continue
        size = cfg.get("size") if isinstance(cfg.get("size"), dict) else {}
        low = number(size.get("shortest_edge"), cfg.get("min_pixels"))
        high = number(size.get("longest_edge"), cfg.get("max_pixels"))
        if low is not None or high is not None:
            return low, high, path
    return None


def resolve_image_budget(opts: EvalOptions) -> tuple[EvalOptions, str]:
    """Replace :data:`MODEL_BUDGET` in ``opts`` by numbers, and say where they came from: a local model
    (``hf:`` / ``vllm:``) is evaluated at the budget saved with its processor — the one it was trained at — unless
    ``--min-pixels`` / ``--max-pixels`` say otherwise; any other model at :data:`DEFAULT_MAX_PIXELS`."""
    if MODEL_BUDGET not in (opts.min_pixels, opts.max_pixels):
        return opts, "set explicitly (--min-pixels / --max-pixels, or the caller's EvalOptions)"
    spec = parse_model_spec(opts.model)
    saved = saved_image_budget(spec.path) if spec.kind in ("hf", "vllm") else None
    low, high = saved[:2] if saved else (None, DEFAULT_MAX_PIXELS)
    source = (f"the model's processor config ({saved[2]})" if saved
              else f"the default (Qwen2.5-VL's: max {DEFAULT_MAX_PIXELS} px, no min)")
    given = [name for name, value in (("max", opts.max_pixels), ("min", opts.min_pixels)) if value != MODEL_BUDGET]
    if given:  # one bound given, the other resolved: say which is which
        other = "min" if given == ["max"] else "max"
        source = f"--{given[0]}-pixels for the {given[0]}, {source} for the {other}"
    new = replace(opts, min_pixels=low if opts.min_pixels == MODEL_BUDGET else opts.min_pixels,
                  max_pixels=high if opts.max_pixels == MODEL_BUDGET else opts.max_pixels)
    return new, source


# ----------------------------------------------------------------------------------------------------- data
def default_root(data: str | Path) -> Path | None:
    """Where relative ``figure``/``json`` paths resolve: the first of the data folder, its parent (the layout of
    ``rewardmap data build``: ``OUT/reasonmap`` next to ``OUT/maps``) and grandparent holding ``maps/`` or
    ``stations/``."""
    p = Path(data)
    if p.is_file():
        p = p.parent
    for cand in (p, p.parent, p.parent.parent):
        if (cand / "maps").is_dir() or (cand / "stations").is_dir():
            return cand
    return p if p.exists() else None


def load_rows(data: str, split: str | None, root: str | Path | None):
    """Rows of ``split`` of ``data`` via :func:`rewardmap.data.load_rows`."""
    from rewardmap.data import load_rows as data_load_rows

    return data_load_rows(data, split=split)


# ----------------------------------------------------------------------------------------------------- scoring
def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return _jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, float | int | str | bool) or value is None:
        return value
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def score_sample(sample: Sample, answer: str, *, variant: str = "official", parse: str = "official",
                 root: str | Path | None = None) -> dict:
    """Score ``answer`` with :mod:`rewardmap.scoring` and return the metric fields of a record. Reasoning is not
    stripped again here: the runner's ``--reasoning`` mode already chose the answer text."""
    from rewardmap import scoring

    if sample.task == "planning":
        s = scoring.score_reasonmap(answer, sample.row, question=sample.kind, variant=variant, stations_root=root,
                                    parse=parse, reasoning=False)
        out = {"correct": bool(s.correct), "map_score": float(s.map_score), "max_score": float(s.max_score),
               "components": _jsonable(s.components), "best_plan": s.best_plan, "parsed": _jsonable(s.parsed),
               "weight": scoring.reasonmap_weight(str(sample.row["difficulty_question"]),
                                                  str(sample.row["difficulty_city"]))}
        # the other variant's map score too, so reports can put the released metric's number beside the paper's
        # (official and paper differ a lot on English names: docs/fidelity.md, the report's note)
        other = "paper" if variant == "official" else "official"
        try:
            out[f"map_score_{other}"] = float(scoring.score_reasonmap(
                answer, sample.row, question=sample.kind, variant=other, stations_root=root, parse=parse,
                reasoning=False).map_score)
        except RewardMapError:
            raise
        except Exception:  # the run's own variant decides the record; a failure here only loses the comparison
            out[f"map_score_{other}"] = None
        return out
    s = scoring.score_plus(answer, sample.row, parse=parse, reasoning=False)
    return {"correct": bool(s.correct), "parsed": _jsonable(s.parsed),
            "weight": scoring.plus_weight(str(sample.row["difficulty_city"]))}


def make_record(sample: Sample, response: str, answer: str, metrics: dict, *, tokens: int | None, latency_s: float,
                attempts: int, error: str | None, benchmark: str) -> dict:
    """One JSONL record (labels of the row, the response, the metrics, timing)."""
    row = sample.row
    fig = row.get("figure")
    rec = {"id": sample.id, "benchmark": benchmark, "row": sample.index, "kind": sample.kind, "task": sample.task,
           "template": sample.template}
    for col in LABEL_COLUMNS:
        if col in row:
            rec[col] = _jsonable(row[col])
    rec.setdefault("type", sample.task)
    rec["figure"] = fig if isinstance(fig, str) and not is_inline_image(fig) else None
    rec.update({"question": sample.question, "response": response, "answer_text": answer})
    rec.update(metrics)
    rec.update({"tokens": tokens, "latency_s": round(latency_s, 4), "attempts": attempts, "error": error})
    return rec


# ----------------------------------------------------------------------------------------------------- run
def questions_fingerprint(samples) -> str:
    """SHA-1 of the sample ids and question texts: a rebuilt dataset with other questions under the same path is
    not resumed into an old folder."""
    import hashlib

    h = hashlib.sha1()
    for s in samples:
        h.update(s.id.encode("utf-8") + b"\x00" + s.question.encode("utf-8") + b"\x00")
    return h.hexdigest()


class FigureCopies:
    """Inline (base64) maps, as ``FSCCS/ReasonMap`` stores them, are saved once per city as a ≤ 1600² PNG under
    ``OUT/figures/`` so reports can show them; records point at the copy (absolute path)."""

    MAX_PIXELS = 1600 * 1600

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._done: dict[str, str | None] = {}

    def get(self, row: Mapping) -> str | None:
        fig = row.get("figure")
        if not isinstance(fig, str) or not is_inline_image(fig):
            return None
        key = figure_key(row)
        if key not in self._done:
            name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key.split(":", 1)[-1]) or "map"
            path = self.folder / f"{name}.png"
            try:
                if not path.exists():
                    from rewardmap.data import resolve_figure

                    self.folder.mkdir(parents=True, exist_ok=True)
                    resolve_figure(fig, None, max_pixels=self.MAX_PIXELS).save(path)
                self._done[key] = str(path.resolve())
            except Exception:
                self._done[key] = None
        return self._done[key]


def _check_identity(out: Path, identity: dict) -> None:
    path = out / RUN
    if not path.exists():
        return
    try:
        old = json.loads(path.read_text(encoding="utf-8")).get("identity", {})
    except ValueError:
        return
    diffs = [k for k in IDENTITY_KEYS if k in old and old[k] != identity.get(k)]
    if diffs:
        detail = "; ".join(f"{k}: was {old[k]!r}, now {identity.get(k)!r}" for k in diffs)
        raise ConfigError(f"{path}: this folder holds a different run ({detail}); use another --out")


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def build_backend(opts: EvalOptions) -> Backend:
    spec = parse_model_spec(opts.model)
    common = {"seed": 0, "temperature": opts.temperature}
    if spec.kind == "openai":
        return make_backend(spec, concurrency=opts.concurrency, timeout_s=opts.timeout_s,
                            retry=RetryPolicy(max_retries=opts.max_retries, backoff_s=opts.backoff_s),
                            max_tokens=opts.max_new_tokens, api_key_env=opts.api_key_env, **common)
    return make_backend(spec, batch_size=opts.batch_size, max_new_tokens=opts.max_new_tokens,
                        min_pixels=opts.min_pixels, max_pixels=opts.max_pixels, device=opts.device, dtype=opts.dtype,
                        **common)


def _close(backend: Backend, *, wait: bool) -> None:
    try:
        backend.close(wait=wait)  # type: ignore[call-arg]
    except TypeError:
        backend.close()


def run_eval(opts: EvalOptions, *, backend: Backend | None = None, rows=None,
             log: Callable[[str], None] | None = None) -> dict:
    """Evaluate (or resume) and return the summary. ``backend`` / ``rows`` override the spec / data (tests).

    Raises :class:`RewardMapError` for setup problems (data, identity, unreachable server, another run holding
    ``OUT``) and when ``abort_after`` requests in a row fail; never for what a model answers."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    with OutputLock(out):  # one writer per folder; released however this process ends
        return _run_locked(opts, out, backend, rows, log)


def _record_for(sample: Sample, gen, opts: EvalOptions, root) -> dict:
    """The record of one answer. Whatever the backend returned, a failure of answer extraction or scoring is
    recorded as the sample's error (bad model output is a score, not an exception). Only a setup problem of the
    data (:class:`RewardMapError`, e.g. a station file that cannot be found) propagates: it would hit every sample."""
    text = gen.text if isinstance(gen.text, str) else ("" if gen.text is None else str(gen.text))
    error = gen.error if gen.error is None or isinstance(gen.error, str) else str(gen.error)
    tokens = gen.tokens if isinstance(gen.tokens, int) and not isinstance(gen.tokens, bool) else None
    latency = gen.latency_s if isinstance(gen.latency_s, int | float) else 0.0
    attempts = gen.attempts if isinstance(gen.attempts, int) else 0
    answer = ""
    try:
        answer = extract_answer(text, opts.reasoning) if not error else ""
        metrics = score_sample(sample, answer, variant=opts.variant, parse=opts.parse, root=root)
    except RewardMapError:
        raise
    except Exception as exc:  # a scorer bug must not end a run of thousands of samples
        error = f"scoring failed: {type(exc).__name__}: {exc}"
        try:
            metrics = score_sample(sample, "", variant=opts.variant, parse=opts.parse, root=root)
        except Exception:
            metrics = {"correct": False, "parsed": None, "weight": 1.0}
            if sample.task == "planning":
                metrics.update({"map_score": 0.0, "max_score": 0.0, "components": {}, "best_plan": None})
    return make_record(sample, text, answer, metrics, tokens=tokens, latency_s=latency, attempts=attempts,
                       error=error, benchmark=opts.benchmark)


def _run_locked(opts: EvalOptions, out: Path, backend: Backend | None, rows, log: Callable[[str], None]) -> dict:
    from rewardmap.evaluation.report import summarize

    t_setup = time.perf_counter()
    opts, budget_source = resolve_image_budget(opts)
    if not opts.text_only:
        log(f"image budget: max {opts.max_pixels or 'unbounded'} / min {opts.min_pixels or 'none'} pixels, from "
            f"{budget_source}")
    identity = opts.identity()
    root = Path(opts.root) if opts.root else default_root(opts.data)
    with phase(f"eval: loading {opts.data}", log=log, enabled=opts.progress):
        if rows is None:
            rows = load_rows(opts.data, identity["split"], root)
        rows = rows if isinstance(rows, list) else [dict(r) for r in rows]
    selection = select_samples(rows, opts.benchmark, opts.subset)
    samples = selection.samples
    if opts.subset.limit is not None:
        log(describe_selection(selection.info))
    identity["questions_sha1"] = questions_fingerprint(samples)
    _check_identity(out, identity)
    run_info = {"identity": identity, "endpoint": parse_model_spec(opts.model).url,
                "root": str(root) if root else None, "samples": len(samples), "selection": selection.info,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if (out / RUN).exists():
        try:
            run_info["created"] = json.loads((out / RUN).read_text(encoding="utf-8")).get("created", run_info["created"])
        except (ValueError, AttributeError):
            pass
    run_info["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _write_json(out / RUN, run_info)

    writer = ResultsWriter(out / RESULTS, fsync=opts.fsync)
    if writer.repaired:
        log(f"resume: cut a partial last line ({writer.repaired} bytes) from {out / RESULTS}; it will be redone")
    done = {k for k, r in writer.records.items() if not (opts.retry_errors and r.get("error"))}
    todo = [s for s in samples if s.id not in done]
    if done:
        log(f"resume: {len(samples) - len(todo)} of {len(samples)} samples already done")
    t_start = time.perf_counter()
    seconds_setup = t_start - t_setup
    n_written = 0
    if todo:
        own_backend = backend is None
        if backend is None:
            with phase(f"eval: loading the model {opts.model}", log=log, enabled=opts.progress):
                backend = build_backend(opts)
        check = getattr(backend, "check", None)
        if callable(check):
            import inspect

            if "wait_s" in inspect.signature(check).parameters:
                check(wait_s=opts.connect_wait_s, log=log)
            else:
                check()
        loader = ImageLoader(root, min_pixels=opts.min_pixels, max_pixels=opts.max_pixels)
        figure_copies = FigureCopies(out / "figures")
        prompts = []
        for s in todo:
            image = None
            if not opts.text_only:
                image = ImageRef(figure_key(s.row), (lambda row=s.row: loader.load(row)))
            prompts.append(Prompt(s.question, image, opts.system_prompt))
        bar = Progress(f"eval {opts.benchmark}", len(todo), log=log, enabled=opts.progress)
        n_correct = 0
        failing = 0
        seen_errors: set[str] = set()
        try:
            for i, gen in backend.stream(prompts):
                s = todo[i]
                rec = _record_for(s, gen, opts, root)
                if rec["figure"] is None:
                    rec["figure"] = figure_copies.get(s.row)
                writer.append(rec)
                n_written += 1
                err = rec["error"]
                if err and len(seen_errors) < 5 and err[:60] not in seen_errors:
                    seen_errors.add(err[:60])
                    log(f"sample {s.id}: {err}")
                # only transport failures count towards stopping; a sample whose request could not be built (e.g.
                # its map is missing) is recorded with its error and the run goes on
                failing = failing + 1 if err and rec["attempts"] > 0 else 0
                if opts.abort_after and failing >= opts.abort_after:
                    raise RewardMapError(
                        f"{failing} requests in a row failed (last: {err}); stopping. The results so far are "
                        f"kept in {out / RESULTS}: fix the model/server, then re-run with --retry-errors")
                n_correct += int(rec["correct"])
                bar.update(1, f"accuracy so far {n_correct / n_written:.1%}")
        except BaseException:
            # interrupted or stopped: queued requests are cancelled and nobody waits for the ones in flight
            if own_backend:
                _close(backend, wait=False)
                own_backend = False
            raise
        finally:
            bar.close()
            writer.close()
            if own_backend:
                backend.close()
    else:
        writer.close()
    t_final = time.perf_counter()
    ids = {s.id for s in samples}  # built once: finalisation is linear in the number of records
    records = [r for r in writer.records.values() if r["id"] in ids]
    summary = summarize(records, opts.benchmark)
    failed = [r["id"] for r in records if r.get("error")]
    summary["run"] = {"samples": len(samples), "written_now": n_written, "seconds_now": round(t_final - t_start, 3),
                      "seconds_setup": round(seconds_setup, 3), "errors": len(failed), "failed_ids": failed[:20],
                      "missing": len(samples) - len(records), "model": opts.model, "out": str(out),
                      "variant": opts.variant, "selection": selection.info}
    _write_json(out / SUMMARY, summary)
    summary["run"]["seconds_finalise"] = round(time.perf_counter() - t_final, 3)
    return summary
