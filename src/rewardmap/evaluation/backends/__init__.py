"""Model backends behind one interface (:class:`Backend`): Hugging Face transformers, vLLM, OpenAI-compatible HTTP.

A model is named by a *spec* string:

- ``hf:/path/to/model`` — a local transformers VLM (Qwen2.5-VL first); torch is imported only when it is built;
- ``vllm:/path/to/model`` — vLLM offline inference (optional dependency, GPU);
- ``openai:MODEL@http://127.0.0.1:8000/v1`` — any OpenAI-compatible chat-completions server.
"""

from __future__ import annotations

from dataclasses import dataclass

from rewardmap.errors import ConfigError
from rewardmap.evaluation.backends.base import Backend, BatchedBackend, Generation, ImageRef, Prompt
from rewardmap.evaluation.backends.openai_compat import OpenAIBackend, RetryPolicy, resolve_api_key

KINDS = ("hf", "vllm", "openai")


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec: ``kind`` (hf / vllm / openai), ``path`` (local model dir or API model name) and, for
    ``openai``, ``url``."""

    kind: str
    path: str
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.path}" + (f"@{self.url}" if self.url else "")


def parse_model_spec(spec: str) -> ModelSpec:
    """Parse ``hf:PATH``, ``vllm:PATH`` or ``openai:MODEL@URL`` (raises :class:`ConfigError` otherwise)."""
    kind, sep, rest = spec.partition(":")
    if not sep or kind not in KINDS or not rest:
        raise ConfigError(f"model spec {spec!r}: expected hf:PATH, vllm:PATH or openai:MODEL@URL")
    if kind == "openai":
        model, at, url = rest.rpartition("@")
        if not at or not model or not url.startswith(("http://", "https://")):
            raise ConfigError(f"model spec {spec!r}: expected openai:MODEL@http(s)://HOST:PORT/v1")
        return ModelSpec(kind, model, url)
    return ModelSpec(kind, rest)


def make_backend(spec: str | ModelSpec, **options) -> Backend:
    """Build the backend for ``spec``. ``options`` are passed to the backend's constructor; unknown ones for that
    kind are ignored so one option set can serve every kind (e.g. ``concurrency`` only matters over HTTP)."""
    ms = parse_model_spec(spec) if isinstance(spec, str) else spec
    if ms.kind == "openai":
        keys = {"concurrency", "timeout_s", "retry", "max_tokens", "temperature", "api_key_env", "image_format",
                "extra_body", "seed"}
        opts = {k: v for k, v in options.items() if k in keys and v is not None}
        return OpenAIBackend(ms.path, ms.url or "", **opts)
    keys = {"batch_size", "max_new_tokens", "min_pixels", "max_pixels", "temperature", "dtype", "device", "seed"}
    opts = {k: v for k, v in options.items() if k in keys and v is not None}
    if ms.kind == "hf":
        from rewardmap.evaluation.backends.hf import HFBackend

        return HFBackend(ms.path, **opts)
    from rewardmap.evaluation.backends.vllm import VLLMBackend

    return VLLMBackend(ms.path, **opts)


__all__ = ["KINDS", "Backend", "BatchedBackend", "Generation", "ImageRef", "ModelSpec", "OpenAIBackend", "Prompt",
           "RetryPolicy", "make_backend", "parse_model_spec", "resolve_api_key"]
