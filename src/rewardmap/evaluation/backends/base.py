"""The one interface every model backend implements: a batch of (image, prompt) in, responses out."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class ImageRef:
    """A lazily loaded image. ``key`` identifies the picture (e.g. the row's ``figure`` path) so backends can cache
    the decoded/encoded form once per map instead of once per question; ``load`` returns a PIL image."""

    key: str
    load: Callable[[], Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Prompt:
    """One request: the user text and, unless the run is text-only, the map image."""

    text: str
    image: ImageRef | None = None
    system: str | None = None


@dataclass(frozen=True)
class Generation:
    """One response. ``error`` is set (and ``text`` empty) when the backend gave up on this prompt; the run goes on.

    ``tokens`` is the number of generated tokens when the backend knows it (HF: generated ids; HTTP: the server's
    ``usage.completion_tokens``), else ``None``."""

    text: str
    tokens: int | None = None
    latency_s: float = 0.0
    error: str | None = None
    attempts: int = 1


@runtime_checkable
class Backend(Protocol):
    """A model. ``generate`` answers a batch in order; ``stream`` yields ``(index, Generation)`` as answers arrive
    (any order), which lets the runner write each result the moment it exists."""

    name: str
    batch_size: int

    def generate(self, prompts: Sequence[Prompt]) -> list[Generation]: ...

    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Generation]]: ...

    def close(self) -> None: ...


class BatchedBackend:
    """Mixin: ``stream`` in chunks of ``batch_size`` through ``generate`` (for local models that batch on a device)."""

    name = "batched"
    batch_size = 1

    def generate(self, prompts: Sequence[Prompt]) -> list[Generation]:  # pragma: no cover - abstract
        raise NotImplementedError

    def stream(self, prompts: Sequence[Prompt]) -> Iterator[tuple[int, Generation]]:
        size = max(1, int(self.batch_size))
        for start in range(0, len(prompts), size):
            chunk = prompts[start:start + size]
            t0 = time.perf_counter()
            try:
                outs = self.generate(chunk)
            except Exception as exc:  # a failing batch is reported per sample; the run goes on
                elapsed = time.perf_counter() - t0
                outs = [Generation("", None, elapsed, error=f"{type(exc).__name__}: {exc}") for _ in chunk]
            for i, g in enumerate(outs):
                yield start + i, g

    def close(self) -> None:
        pass
