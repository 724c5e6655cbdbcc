"""Reasoning-model answer extraction: keep the final answer, drop the thinking (paper-spec §1.5 "Inference output
handling"). This is pre-processing of the raw response only; answers are parsed and scored by ``rewardmap.scoring``.

Modes:

- ``none``: the whole response (official behaviour for non-reasoning models);
- ``think``: text after the last ``</think>`` (Skywork-R1V, DeepSeek-style, Qwen3 thinking);
- ``kimi``: text after the last ``◁/think▷`` (Kimi-VL-Thinking);
- ``qvq``: the ``\\text{...}`` contents inside ``\\boxed{...}`` joined by newlines, else the whole response (QVQ);
- ``auto``: ``kimi`` if its marker is present, else ``think`` if ``</think>`` is present, else ``none``.
"""

from __future__ import annotations

import re

from rewardmap.errors import ConfigError

MODES = ("none", "auto", "think", "kimi", "qvq")
THINK_END = "</think>"
KIMI_END = "◁/think▷"


def _boxed_contents(text: str) -> list[str]:
    out = []
    start = 0
    while True:
        i = text.find("\\boxed{", start)
        if i < 0:
            return out
        j = i + len("\\boxed{")
        depth = 1
        k = j
        while k < len(text) and depth:
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
            k += 1
        out.append(text[j:k - 1] if depth == 0 else text[j:])
        start = k


def extract_answer(response: str, mode: str = "none") -> str:
    """The part of ``response`` that is the model's answer under ``mode`` (see module doc)."""
    if mode not in MODES:
        raise ConfigError(f"unknown reasoning mode {mode!r}; expected one of {', '.join(MODES)}")
    if mode == "auto":
        mode = "kimi" if KIMI_END in response else ("think" if THINK_END in response else "none")
    if mode == "think":
        return response.split(THINK_END)[-1].strip() if THINK_END in response else response
    if mode == "kimi":
        return response.split(KIMI_END)[-1].strip() if KIMI_END in response else response
    if mode == "qvq":
        texts = [t for box in _boxed_contents(response) for t in re.findall(r"\\text\{(.*?)\}", box, re.S)]
        return "\n".join(texts) if texts else response
    return response
