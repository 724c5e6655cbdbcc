"""The engine seam: ``--engine`` picks an engine; verl hands the resolved run to its integration's ``prepare_run``."""

from __future__ import annotations

import sys
import types

import pytest

from rewardmap.errors import ConfigError
from rewardmap.training.config import load_config
from rewardmap.training.engines import get_engine

LAUNCH = "rewardmap.integrations.verl.launch"


def test_verl_engine_dispatches_to_prepare_run(monkeypatch, tmp_path):
    calls = []
    fake = types.ModuleType(LAUNCH)
    fake.prepare_run = lambda config, out_dir: calls.append((config, out_dir)) or "prepared"
    monkeypatch.setitem(sys.modules, LAUNCH, fake)
    cfg = load_config(None, [f"run.output_dir={tmp_path}"])
    assert get_engine("verl").run(cfg) == "prepared"
    assert calls == [(cfg, tmp_path)]


def test_verl_engine_without_its_integration_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, LAUNCH, None)  # import → ModuleNotFoundError
    with pytest.raises(ConfigError, match=r"rewardmap\.integrations\.verl\.launch is not available"):
        get_engine("verl").run(load_config(None, [f"run.output_dir={tmp_path}"]))


def test_unknown_engine_and_cli_choice(capsys):
    with pytest.raises(ConfigError, match="--engine"):
        get_engine("deepspeed-chat")
    from rewardmap.cli import build_parser

    args = build_parser().parse_args(["train", "--dry-run"])
    assert args.engine == "trl"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "--engine", "nope"])
