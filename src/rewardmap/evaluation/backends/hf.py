"""Hugging Face transformers backend: any local image-text-to-text model (Qwen2.5-VL first), batched, greedy.

torch and transformers are imported here only, when the backend is built, so ``import rewardmap.evaluation`` stays
light. Defaults follow the papers (paper-spec §1.8, §5.3): greedy decoding (the paper's wording; the released code
used the model's generation config) and ``max_new_tokens=2048``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from rewardmap.errors import ConfigError
from rewardmap.evaluation.backends.base import BatchedBackend, Generation, Prompt


def _load_processor(transformers, path: str, min_pixels: int | None, max_pixels: int | None):
    """The model's processor (:func:`rewardmap.models.load_processor`: the image-only Qwen2.5-VL processor where
    torchvision is absent, engine-notes Q1; ``AutoProcessor`` otherwise)."""
    from rewardmap.models.processor import load_processor

    return load_processor(path, min_pixels=min_pixels, max_pixels=max_pixels)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


class HFBackend(BatchedBackend):
    """A local transformers VLM.

    Args:
        path: model directory (``from_pretrained``).
        batch_size: prompts per ``generate`` call (left padding).
        max_new_tokens: generation budget (2,048 as the papers).
        min_pixels / max_pixels: passed to the image processor (Qwen2-VL style) when given.
        temperature: 0 = greedy (default); >0 samples.
        dtype: ``auto`` (checkpoint dtype), ``float32``, ``bfloat16``, ``float16``.
        device: ``cpu``, ``cuda``, ``cuda:1``, ``auto`` (accelerate's device map over all GPUs) … (default: cuda
            when available).
    """

    name = "hf"

    def __init__(self, path: str, *, batch_size: int = 1, max_new_tokens: int = 2048, min_pixels: int | None = None,
                 max_pixels: int | None = None, temperature: float = 0.0, dtype: str = "auto",
                 device: str | None = None, seed: int = 0) -> None:
        try:
            import torch
            import transformers
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ConfigError("the hf backend needs the 'train' extra: pip install 'rewardmap[train]'") from exc
        from pathlib import Path

        if not Path(path).exists():
            raise ConfigError(f"hf model path {path!r} does not exist")
        if Path(path).is_dir() and not (Path(path) / "config.json").is_file():
            raise ConfigError(f"hf:{path} is not a model folder: it has no config.json (expected a folder written "
                              "by save_pretrained, e.g. a training run's final/ or a checkpoint)")
        self.path = path
        self.batch_size = max(1, int(batch_size))
        self.max_new_tokens = int(max_new_tokens)
        self.temperature = float(temperature)
        self.seed = seed
        self._torch = torch
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        torch_dtype = "auto" if dtype == "auto" else getattr(torch, dtype)
        try:
            self.processor = _load_processor(transformers, path, min_pixels, max_pixels)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"hf:{path}: its processor does not load ({_first_line(exc)}); expected a model "
                              "folder with its tokenizer and preprocessor_config.json") from None
        self.tokenizer = getattr(self.processor, "tokenizer", self.processor)
        if getattr(self.processor, "image_processor", None) is None:
            raise ConfigError(f"{path}: AutoProcessor returned no image processor (got "
                              f"{type(self.processor).__name__}); register the model's processor class first")
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        try:
            if self.device == "cpu":
                self.model = transformers.AutoModelForImageTextToText.from_pretrained(path, dtype=torch_dtype)
            else:  # load straight onto the accelerator ("auto" spreads a large model over the visible GPUs)
                self.model = transformers.AutoModelForImageTextToText.from_pretrained(path, dtype=torch_dtype,
                                                                                     device_map=self.device)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"hf:{path}: the model does not load ({_first_line(exc)}); expected an image-text-to-"
                              "text model folder (Qwen2.5-VL and kin)") from None
        self.model.eval()

    def _messages(self, prompt: Prompt) -> list[dict]:
        content: list[dict] = []
        if prompt.image is not None:
            content.append({"type": "image"})
        content.append({"type": "text", "text": prompt.text})
        msgs = [{"role": "system", "content": [{"type": "text", "text": prompt.system}]}] if prompt.system else []
        msgs.append({"role": "user", "content": content})
        return msgs

    def generate(self, prompts: Sequence[Prompt]) -> list[Generation]:
        torch = self._torch
        t0 = time.perf_counter()
        texts = [self.processor.apply_chat_template(self._messages(p), add_generation_prompt=True, tokenize=False)
                 for p in prompts]
        images = [p.image.load() for p in prompts if p.image is not None]
        if images and len(images) != len(prompts):
            # mixed batch (some text-only): run separately so the processor sees consistent inputs
            return [g for p in prompts for g in self.generate([p])]
        kwargs = {"text": texts, "padding": True, "return_tensors": "pt"}
        if images:
            kwargs["images"] = images
        inputs = self.processor(**kwargs).to(self.model.device)
        gen_kwargs = {"max_new_tokens": self.max_new_tokens, "pad_token_id": self.tokenizer.pad_token_id}
        if self.temperature > 0:
            torch.manual_seed(self.seed)
            gen_kwargs.update(do_sample=True, temperature=self.temperature)
        else:
            gen_kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **gen_kwargs)
        new = out[:, inputs["input_ids"].shape[1]:]
        elapsed = (time.perf_counter() - t0) / len(prompts)
        eos = self.model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else ([eos] if eos is not None else []))
        eos_ids.add(self.tokenizer.pad_token_id)
        results = []
        for row in new.tolist():
            n = len(row)
            for j, tok in enumerate(row):
                if tok in eos_ids:
                    n = j
                    break
            text = self.tokenizer.decode(row[:n], skip_special_tokens=True)
            results.append(Generation(text, n, elapsed))
        return results
