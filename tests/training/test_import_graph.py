"""The layering of DESIGN.md: training and evaluation never import each other's modules in a cycle — both load
models through ``rewardmap.models`` — and ``rewardmap.models`` imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "rewardmap"


def imported_packages(package: str) -> dict[str, set[str]]:
    """``{module file: rewardmap subpackages it imports}`` for every module of ``rewardmap.<package>`` (top-level
    and function-level imports alike)."""
    out = {}
    for path in sorted((SRC / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                mods = [node.module]
            else:
                continue
            names.update(m.split(".")[1] for m in mods if m.startswith("rewardmap.") and m.count(".") >= 1)
        out[str(path.relative_to(SRC))] = names
    return out


def test_evaluation_does_not_import_training():
    offenders = {f: n for f, n in imported_packages("evaluation").items() if "training" in n}
    assert not offenders, f"evaluation imports training (a cycle with training's demo): {offenders}"


def test_models_import_neither_training_nor_evaluation():
    offenders = {f: n & {"training", "evaluation"} for f, n in imported_packages("models").items()
                 if n & {"training", "evaluation"}}
    assert not offenders


def test_both_load_models_through_rewardmap_models():
    assert any("models" in n for n in imported_packages("evaluation").values())
    assert any("models" in n for n in imported_packages("training").values())


def test_nothing_below_experiments_imports_it():
    """``rewardmap.experiments`` sits on top (it trains with ``training`` and measures with ``evaluation``); only
    the command line imports it."""
    offenders = {}
    for package in ("training", "evaluation", "models", "data", "scoring", "tasks", "metro", "synth", "integrations"):
        offenders.update({f: n for f, n in imported_packages(package).items() if "experiments" in n})
    assert not offenders
