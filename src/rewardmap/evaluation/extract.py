"""Reasoning-model answer extraction: keep the final answer, drop the thinking (paper-spec §1.5 "Inference output
handling"). Only the mode dispatch lives here; the text operations are :mod:`rewardmap.scoring.parsing`'s, so the
evaluator and the reward read responses the same way.

Modes:

- ``none``: the whole response (official behaviour for non-reasoning models);
- ``think``: text after the last ``</think>`` or ``◁/think▷`` (Skywork-R1V / Qwen-style, Kimi-VL-Thinking);
- ``qvq``: the ``\\text{...}`` contents inside ``\\boxed{...}`` joined by newlines, else the whole response (QVQ);
- ``auto``: ``think`` when a closer is present, else ``none``.
"""

from __future__ import annotations

from rewardmap.errors import ConfigError

MODES = ("none", "auto", "think", "qvq")
_CLOSERS = ("</think>", "◁/think▷")


def extract_answer(response: str, mode: str = "none") -> str:
    """The part of ``response`` that is the model's answer under ``mode`` (see module doc)."""
    from rewardmap.scoring.parsing import qvq_final_answer, strip_reasoning

    if mode not in MODES:
        raise ConfigError(f"unknown reasoning mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode == "auto":
        mode = "think" if any(c in response for c in _CLOSERS) else "none"
    if mode == "think":
        return strip_reasoning(response).strip()
    if mode == "qvq":
        return qvq_final_answer(response)
    return response
