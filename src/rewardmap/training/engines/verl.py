"""The verl engine: hands the resolved run to ``rewardmap.integrations.verl.launch.prepare_run(config, out_dir)``
(data in curriculum order, verl config and launch command; written by the verl integration). verl does not run in
this process: it needs GPUs and its own environment (spec/engine-notes Q4)."""

from __future__ import annotations

import importlib
from pathlib import Path

from rewardmap.errors import ConfigError


class VerlEngine:
    name = "verl"

    def run(self, config, plan=None, rewards=None, *, resume: bool | str | Path = False):
        """Prepare the verl run; returns what ``prepare_run`` returns (the plan is rebuilt by the integration from
        the config, which is the whole contract)."""
        try:
            launch = importlib.import_module("rewardmap.integrations.verl.launch")
        except ModuleNotFoundError as exc:
            if exc.name and not "rewardmap.integrations.verl.launch".startswith(exc.name):
                raise
            raise ConfigError("--engine verl: rewardmap.integrations.verl.launch is not available in this "
                              "installation (it provides prepare_run(config, out_dir)); use --engine trl") from None
        if resume:
            raise ConfigError("--engine verl: resuming is verl's own (trainer.resume_mode); run without --resume")
        return launch.prepare_run(config, Path(config.run.output_dir))
