"""Training inputs: the ReasonMap-Train-style dataset a run trains on, in TRL's conversational format.

``data.train`` names a dataset directory (``save_to_disk`` of a DatasetDict with ``train``, as the released
loader reads it); its ``./maps`` and ``./stations`` paths resolve under ``data.root`` (default: the directory above
the dataset, where ``rewardmap data build`` puts them). Without ``data.train``, synthetic cities are generated
(``rewardmap.synth``) and built into the three datasets (``rewardmap.data``) under ``<output_dir>/data`` — cached:
an existing build with the same parameters is reused.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from rewardmap.errors import ConfigError
from rewardmap.training.config import DataSettings


@dataclass
class TrainingData:
    """The TRL-format training set and where its assets live."""

    train: object                 # datasets.Dataset: prompt, image, reward metadata columns
    root: Path                    # stations/ and maps/ resolve under it
    datasets_dir: Path | None     # directory holding reasonmap/, reasonmap-plus/, reasonmap-train/ (synthetic or given)
    rows: object = None           # the raw ReasonMap-Train rows (before the TRL conversion)


def build_synthetic(out: Path, data: DataSettings, *, progress: bool = False) -> Path:
    """Synthetic cities → the three datasets under ``out`` (cached by parameters); returns ``out``."""
    params = {"synthetic": asdict(data.synthetic), "format": 1}
    stamp = out / "synthetic.json"
    if stamp.is_file() and (out / "reasonmap-train").is_dir():
        try:
            if json.loads(stamp.read_text()) == params:
                return out
        except json.JSONDecodeError:
            pass
    from rewardmap.data import build_datasets
    from rewardmap.synth.writer import write_cities

    s = data.synthetic
    write_cities(out / "synth", s.cities, seed=s.seed, size=s.size)
    build_datasets(out / "synth" / "stations", out / "synth" / "maps", out, seed=s.seed, progress=progress)
    stamp.write_text(json.dumps(params, indent=2))
    return out


def prepare_training_data(data: DataSettings, output_dir: str | Path, *, progress: bool = False) -> TrainingData:
    """Load (or synthesise) the training rows, filter them, and convert them for TRL (images resized to
    ``data.max_pixels``)."""
    from rewardmap.data import load_rows, to_trl_conversational

    if data.train is None:
        ds_dir = build_synthetic(Path(output_dir) / "data", data, progress=progress)
        train_dir = ds_dir / "reasonmap-train"
        root = Path(data.root) if data.root else ds_dir
    else:
        train_dir = Path(data.train)
        if not train_dir.exists():
            raise ConfigError(f"data.train: {train_dir} does not exist")
        ds_dir = train_dir.parent
        root = Path(data.root) if data.root else ds_dir
    rows = load_rows(str(train_dir), split="train")
    if data.types:
        from rewardmap.tasks.types import TaskType

        wanted = {TaskType.parse(t).value for t in data.types}
        rows = rows.filter(lambda r: TaskType.parse(r["type"]).value in wanted)
    if data.max_rows is not None:
        rows = rows.select(range(min(data.max_rows, len(rows))))
    if len(rows) == 0:
        raise ConfigError(f"data: no training rows left in {train_dir} after filtering (types={data.types})")
    trl = to_trl_conversational(rows, root=root, min_pixels=data.min_pixels, max_pixels=data.max_pixels)
    return TrainingData(train=trl, root=root, datasets_dir=ds_dir, rows=rows)
