"""The reward configuration: one frozen dataclass, three named presets (paper-spec §3.2–3.4; docs/scoring.md).

``R = W · (R_format + R_correctness + α · R_detail)`` with ``W = γ[map] + β[transfers > 0]`` (β for planning only).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from rewardmap.errors import ConfigError

DETAIL_VARIANTS = ("official", "paper", "none")
WEIGHTINGS = ("reward", "none")
CLEANERS = ("reward", "eval", "canonical")
LINE_NAME_MODES = ("official", "alias")
PRESETS = ("official", "paper", "baseline")


@dataclass(frozen=True)
class RewardConfig:
    """Every knob of the RewardMap training reward, each with its source.

    Attributes:
        correctness: reward for a correct answer. Code value 10 (reason_map.py); the paper gives no magnitude.
        alpha: weight of the detail reward, α = 0.5 (RM-paper §4.2; code ``extra_score_weighting``); Table 6 also
            tries 0.3 and 0.7.
        detail: planning detail reward: ``"official"`` (released ``get_detailed_reward_planning``, reproduces the
            worked table of paper-spec §3.3), ``"paper"`` (RM-paper Algorithm 1) or ``"none"``.
        format_reward: add an explicit format term (the paper has one, magnitude unstated; the code has none).
        format_magnitude: the format term's value when the answer is well formed (our choice: 1.0).
        gamma: map-difficulty weights (easy, middle, hard) = (1.0, 1.2, 1.5) (RM-paper Table 7 default = code).
        beta: planning question weights (no transfer, ≥ 1 transfer) = (0.0, 0.5) (Table 7 default = code).
        counting1_stops_detail: add the Counting1 ``Stops: [...]`` detail (±0.5 per stop, times α); present in the
            released code but never called (data-schema §2.4). Off in every preset.
        parse: ``"official"`` (released extraction, quirks included) or ``"tolerant"`` (ours).
        strip_reasoning: read only the text after ``</think>`` / ``◁/think▷`` (the released reward does not).
        cleaner: station-name cleaner for planning checks: ``"reward"`` (RewardMap ``clean_string``), ``"eval"``
            (ReasonMap ``clean_string``) or ``"canonical"`` (ours).
        line_names: ``"official"`` (exact station-file keys, 八通/大兴 only) or ``"alias"`` ("Line 1" = "1").
        weighting: ``"reward"`` multiplies the reward by W (paper); ``"none"`` returns it unweighted — W is still
            reported so a trainer can scale advantages by it (GRPO's std normalisation cancels a per-prompt reward
            factor; see :func:`rewardmap.scoring.group_advantages`).
        detail_floor: lower bound of the planning detail score; None = no floor (the released code and the paper).
    """

    correctness: float = 10.0
    alpha: float = 0.5
    detail: str = "official"
    format_reward: bool = False
    format_magnitude: float = 1.0
    gamma: tuple[float, float, float] = (1.0, 1.2, 1.5)
    beta: tuple[float, float] = (0.0, 0.5)
    counting1_stops_detail: bool = False
    parse: str = "official"
    strip_reasoning: bool = False
    cleaner: str = "reward"
    line_names: str = "official"
    weighting: str = "reward"
    detail_floor: float | None = None
    name: str = "custom"

    def __post_init__(self) -> None:
        for attr, allowed in (("detail", DETAIL_VARIANTS), ("parse", ("official", "tolerant")),
                              ("cleaner", CLEANERS), ("line_names", LINE_NAME_MODES), ("weighting", WEIGHTINGS)):
            value = getattr(self, attr)
            if value not in allowed:
                raise ConfigError(f"RewardConfig.{attr}: {value!r} is not one of {', '.join(allowed)}")
        object.__setattr__(self, "gamma", tuple(float(g) for g in self.gamma))
        object.__setattr__(self, "beta", tuple(float(b) for b in self.beta))
        if len(self.gamma) != 3:
            raise ConfigError(f"RewardConfig.gamma: expected 3 values (easy, middle, hard), found {self.gamma}")
        if len(self.beta) != 2:
            raise ConfigError(f"RewardConfig.beta: expected 2 values (no transfer, transfers), found {self.beta}")
        for attr in ("correctness", "alpha", "format_magnitude"):
            value = getattr(self, attr)
            if not isinstance(value, int | float) or value != value or value in (float("inf"), float("-inf")):
                raise ConfigError(f"RewardConfig.{attr}: expected a finite number, found {value!r}")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> RewardConfig:
        """A named preset, optionally with fields overridden.

        * ``official`` — the released reward: ``W·(10·acc + 0.5·detail_official)``, no format term, official
          parsing, RewardMap cleaner.
        * ``paper`` — RM-paper §4.2 as written: explicit format term (1.0), correctness 10, α = 0.5 with
          Algorithm 1 detail, same weights.
        * ``baseline`` — the paper's "RL (baseline)": format + correctness only (α = 0), W = 1.
        """
        if name == "official":
            base = cls(name="official")
        elif name == "paper":
            base = cls(detail="paper", format_reward=True, name="paper")
        elif name == "baseline":
            base = cls(alpha=0.0, detail="none", format_reward=True, gamma=(1.0, 1.0, 1.0), beta=(0.0, 0.0),
                       name="baseline")
        else:
            raise ConfigError(f"unknown reward preset {name!r}; expected one of {', '.join(PRESETS)}")
        return replace(base, **overrides) if overrides else base

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RewardConfig:
        """Build from a mapping (a YAML block): an optional ``preset`` key plus field overrides."""
        data = dict(data)
        preset = data.pop("preset", None)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"RewardConfig: unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls.preset(preset, **data) if preset else cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping (for writing the resolved config next to a run's outputs)."""
        out = asdict(self)
        out["gamma"] = list(self.gamma)
        out["beta"] = list(self.beta)
        return out


def resolve_config(config: RewardConfig | str | None) -> RewardConfig:
    """A :class:`RewardConfig` from a config, a preset name, or None (``official``)."""
    if config is None:
        return _PRESET_CACHE["official"]
    if isinstance(config, RewardConfig):
        return config
    if isinstance(config, str):
        found = _PRESET_CACHE.get(config)
        if found is None:
            found = RewardConfig.preset(config)
        return found
    raise ConfigError(f"expected a RewardConfig or a preset name, found {type(config).__name__}")


_PRESET_CACHE = {name: RewardConfig.preset(name) for name in PRESETS}
