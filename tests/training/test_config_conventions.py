"""What a researcher expects of the configuration (issue 15, item 9): "did you mean" for misspelt keys, any TRL
``GRPOConfig`` / ``SFTConfig`` field through ``grpo.extra`` / ``sft.extra`` (checked against TRL's own dataclass),
layered ``--config`` files, ``--help`` with a line per option and runnable examples, and ``run.report_to``."""

from __future__ import annotations

import dataclasses
import importlib.util
import shlex
from pathlib import Path

import pytest
import yaml

from rewardmap.errors import ConfigError
from rewardmap.training.config import load_config

REPO = Path(__file__).resolve().parents[2]


def run_cli(argv, capsys):
    from rewardmap.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


# -- did you mean --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("override, suggestion", [
    ("grpo.learnin_rate=1e-5", "learning_rate"),          # a field of a block
    ("gpro.learning_rate=1e-5", "grpo"),                  # a block
    ("model.lora={rnk: 4}", "rank"),                      # a field of a nested block
    ("data.synthetic={citys: 2}", "cities"),
    ("reward.overrides={alpa: 0.3}", "alpha"),            # a RewardConfig field named in reward.overrides
    ("run.report_to=[tensorbord]", "tensorboard"),
])
def test_a_misspelt_key_is_refused_with_the_closest_real_one(override, suggestion):
    with pytest.raises(ConfigError, match=rf"did you mean '{suggestion}'\?"):
        load_config(None, [override])


def test_the_suggestion_reaches_the_command_line_as_one_error_line(capsys):
    code, _, err = run_cli(["train", "--dry-run", "grpo.temprature=0.7"], capsys)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: ") and "did you mean 'temperature'?" in err


# -- TRL fields through grpo.extra / sft.extra -----------------------------------------------------------------------

def grpo_fields():
    from trl import GRPOConfig

    return {f.name for f in dataclasses.fields(GRPOConfig)}


def test_any_grpoconfig_field_reaches_trl_coerced_to_its_type(tmp_path):
    from rewardmap.training.engines.trl_args import grpo_args

    # YAML reads 1e-3 (no dot) as a string, "7" is quoted: both are coerced to the dataclass's types
    cfg = load_config(None, ["grpo.extra.num_completions_to_print='7'", "grpo.extra.top_entropy_quantile=5e-1",
                             "grpo.extra.mask_truncated_completions=true",
                             "grpo.extra.generation_kwargs={repetition_penalty: 1.1}"])
    args = grpo_args(cfg.grpo, cfg.run, output_dir=tmp_path, max_steps=1, suppress_tokens=[6, 7])
    assert args.num_completions_to_print == 7 and isinstance(args.num_completions_to_print, int)
    assert args.top_entropy_quantile == 0.5 and args.mask_truncated_completions is True
    # the user's generation kwargs are kept, the vision tokens still suppressed
    assert args.generation_kwargs == {"repetition_penalty": 1.1, "suppress_tokens": [6, 7]}


def test_any_sftconfig_field_reaches_trl(tmp_path):
    from rewardmap.training.engines.trl_args import sft_args

    cfg = load_config(None, ["sft.extra.max_length=128", "sft.extra.packing=true"])
    args = sft_args(cfg.sft, cfg.run, output_dir=tmp_path)
    assert (args.max_length, args.packing) == (128, True)


def test_an_unknown_trl_field_is_refused_before_any_work_with_the_closest_real_one(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(["train", "grpo.extra.mask_truncated_completion=true", f"run.output_dir={out}"], capsys)
    assert code == 1 and err.count("\n") == 1
    assert "grpo.extra.mask_truncated_completion" in err and "did you mean 'mask_truncated_completions'?" in err
    assert "mask_truncated_completions" in grpo_fields()   # the suggestion is a real GRPOConfig field
    assert not out.exists()                                 # refused before data, SFT or a model


@pytest.mark.parametrize("override, message", [
    ("grpo.extra.learning_rate=1e-5", r"grpo.extra.learning_rate: rewardmap sets .* grpo.learning_rate"),
    ("grpo.extra.num_iterations=2", r"grpo.extra.num_iterations: .*fixed at 1"),
    ("grpo.extra.top_k=many", r"grpo.extra.top_k: expected an integer, found 'many'"),
    ("grpo.extra.mask_truncated_completions=maybe", r"expected true/false, found 'maybe'"),
    ("sft.extra.packin=true", r"sft.extra.packin: SFTConfig \(trl\) has no field 'packin' \(did you mean 'packing'\?\)"),
    ("sft.extra.num_train_epochs=3", r"sft.extra.num_train_epochs: .*sft.epochs"),
])
def test_trl_extra_fields_are_checked_against_the_dataclass(override, message):
    from rewardmap.training.engines.trl_args import check_trl_fields

    with pytest.raises(ConfigError, match=message):
        check_trl_fields(load_config(None, [override]))


def test_every_field_rewardmap_reserves_is_a_real_trl_field():
    from trl import SFTConfig

    from rewardmap.training.engines.trl_args import GRPO_OWNED, SFT_OWNED

    assert set(GRPO_OWNED) <= grpo_fields()
    assert set(SFT_OWNED) <= {f.name for f in dataclasses.fields(SFTConfig)}


# -- layered --config files -------------------------------------------------------------------------------------------

def dry_run_config(stdout: str) -> dict:
    lines = stdout.splitlines()
    assert lines[-1].startswith("curriculum: ")   # the last line is the curriculum, the rest the resolved YAML
    return yaml.safe_load("\n".join(lines[:-1]))


def test_later_config_files_override_earlier_ones_then_the_command_line(tmp_path, capsys):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("grpo: {learning_rate: 1.0e-5, beta: 0.01}\nrun: {output_dir: runs/a, seed: 3}\n")
    b.write_text("grpo: {learning_rate: 2.0e-5}\nrun: {output_dir: runs/b}\n")
    code, out, _ = run_cli(["train", "--config", str(a), "--config", str(b), "run.output_dir=runs/c",
                            "--dry-run"], capsys)
    assert code == 0
    resolved = dry_run_config(out)
    assert resolved["grpo"]["learning_rate"] == 2e-5   # b over a
    assert resolved["grpo"]["beta"] == 0.01            # a's, untouched by b
    assert resolved["run"]["seed"] == 3
    assert resolved["run"]["output_dir"] == "runs/c"   # the command line over both files
    # what a run records (config.yaml, the checkpoints' config) is this merged result
    assert load_config([a, b], ["run.output_dir=runs/c"]).to_mapping() == resolved


def test_a_layered_file_brings_its_own_base_chain(tmp_path):
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text("run: {output_dir: runs/cluster}\n")
    cfg = load_config([REPO / "configs" / "ablations" / "alpha-0.3.yaml", cluster])
    assert cfg.reward.overrides == {"alpha": 0.3}                 # the ablation
    assert cfg.model.path == load_config(REPO / "configs" / "paper-qwen2.5-vl-7b.yaml").model.path  # its base
    assert cfg.run.output_dir == "runs/cluster"


# -- --help -----------------------------------------------------------------------------------------------------------

def subparser(name):
    from rewardmap.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return parser, sub.choices[name]


@pytest.mark.parametrize("name", ["train", "sft"])
def test_every_option_has_a_line_of_help_and_the_examples_parse(name):
    parser, sub = subparser(name)
    for action in sub._actions:
        assert action.help and action.help.strip(), f"rewardmap {name}: {action.dest} has no help"
    text = sub.format_help()
    assert "examples:" in text
    examples = [line.strip() for line in sub.epilog.splitlines() if line.strip().startswith(f"rewardmap {name}")]
    assert len(examples) >= 3
    for line in examples:
        argv = shlex.split(line.split("  #")[0])[1:]
        ns = parser.parse_args(argv)   # a bad example exits here
        for path in ns.config or ():
            assert path == "my-cluster.yaml" or (REPO / path).is_file(), f"example names a missing file: {path}"


# -- run.report_to ------------------------------------------------------------------------------------------------------

@pytest.mark.skipif(importlib.util.find_spec("wandb") is not None, reason="wandb is installed here")
def test_wandb_without_the_package_is_refused_with_the_install_command(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = run_cli(["train", "run.report_to=[wandb]", f"run.output_dir={out}"], capsys)
    assert code == 1 and err.count("\n") == 1 and "pip install wandb" in err
    assert not out.exists()
    code, _, err = run_cli(["sft", "run.report_to=wandb", f"run.output_dir={out}"], capsys)
    assert code == 1 and "pip install wandb" in err


def test_an_unknown_reporter_is_refused():
    with pytest.raises(ConfigError, match=r"run.report_to: expected some of tensorboard, wandb"):
        load_config(None, ["run.report_to=[mlflow]"])


def test_sft_reports_where_the_config_says(tmp_path, monkeypatch):
    from rewardmap.training import runlog
    from rewardmap.training.engines.trl_args import sft_args

    monkeypatch.setattr(runlog, "tensorboard_available", lambda: True)
    assert sft_args(load_config(None, []).sft, load_config(None, ["run.report_to=[tensorboard]"]).run,
                    output_dir=tmp_path).report_to == ["tensorboard"]
    assert sft_args(load_config(None, []).sft, load_config(None, ["run.report_to=[]"]).run,
                    output_dir=tmp_path).report_to in ([], "none", ["none"])
