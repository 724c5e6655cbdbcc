"""DESIGN.md's dependency rule, checked on the source: each layer imports only the layers below it (top-level and
function-level imports alike), and the light layers never import torch or transformers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "rewardmap"

#: What each package may import (besides itself and rewardmap.errors).
ALLOWED = {
    "metro": set(),
    "synth": {"metro"},
    "tasks": {"metro"},
    "scoring": {"metro", "tasks"},
    "data": {"metro", "tasks", "scoring"},
    "models": set(),
}
LIGHT = ("metro", "synth", "tasks", "scoring", "data")


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below(package):
    offenders = {}
    for path in sorted((SRC / package).rglob("*.py")):
        if path.name == "commands.py":  # a package's CLI glue belongs to the command line, above every layer
            continue
        used = {m.split(".")[1] for m in imports_of(path) if m.startswith("rewardmap.") and m.count(".")}
        bad = used - ALLOWED[package] - {package, "errors"}
        if bad:
            offenders[str(path.relative_to(SRC))] = sorted(bad)
    assert not offenders, f"{package} imports layers above it: {offenders}"


@pytest.mark.parametrize("package", LIGHT)
def test_light_layers_never_import_torch_or_transformers(package):
    heavy = {"torch", "transformers", "trl", "accelerate", "peft"}
    offenders = {str(p.relative_to(SRC)): sorted({m.split(".")[0] for m in imports_of(p)} & heavy)
                 for p in sorted((SRC / package).rglob("*.py"))
                 if {m.split(".")[0] for m in imports_of(p)} & heavy}
    assert not offenders
