"""vLLM offline backend (optional dependency; GPU). Fails with a clear message when vLLM is not installed."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rewardmap.errors import ConfigError
from rewardmap.evaluation.backends.base import BatchedBackend, Generation, Prompt


class VLLMBackend(BatchedBackend):
    """``vllm.LLM`` with greedy ``SamplingParams`` (``max_tokens`` 2,048); vLLM batches internally, so the runner
    hands it ``batch_size`` prompts at a time (default 64)."""

    name = "vllm"

    def __init__(self, path: str, *, batch_size: int = 64, max_new_tokens: int = 2048, min_pixels: int | None = None,
                 max_pixels: int | None = None, temperature: float = 0.0, dtype: str = "auto",
                 device: str | None = None, seed: int = 0) -> None:
        try:
            import vllm
        except ImportError as exc:
            raise ConfigError(
                "the vllm backend needs vLLM, which is not installed: install it on a GPU machine "
                "(pip install vllm), or use hf:PATH, or serve the model with `vllm serve` and use "
                "openai:MODEL@http://HOST:PORT/v1") from exc
        mm_kwargs = {k: v for k, v in (("min_pixels", min_pixels), ("max_pixels", max_pixels)) if v is not None}
        self.batch_size = max(1, int(batch_size))
        extra = {"device": device} if device and device not in ("auto", "cuda") else {}
        self.llm = vllm.LLM(model=path, dtype=dtype, seed=seed, limit_mm_per_prompt={"image": 1},
                            mm_processor_kwargs=mm_kwargs or None, **extra)
        self.params = vllm.SamplingParams(temperature=temperature, max_tokens=int(max_new_tokens), seed=seed)

    def generate(self, prompts: Sequence[Prompt]) -> list[Generation]:
        t0 = time.perf_counter()
        conversations = []
        for p in prompts:
            content: list[dict] = []
            if p.image is not None:
                content.append({"type": "image_pil", "image_pil": p.image.load()})
            content.append({"type": "text", "text": p.text})
            msgs = [{"role": "system", "content": p.system}] if p.system else []
            msgs.append({"role": "user", "content": content})
            conversations.append(msgs)
        outs = self.llm.chat(conversations, self.params, use_tqdm=False)
        elapsed = (time.perf_counter() - t0) / max(1, len(prompts))
        return [Generation(o.outputs[0].text, len(o.outputs[0].token_ids), elapsed) for o in outs]
