"""Training inputs: the ReasonMap-Train-style dataset a run trains on, in TRL's conversational format.

``data.train`` names a dataset directory (``save_to_disk`` of a DatasetDict with ``train``, as the released
loader reads it); its ``./maps`` and ``./stations`` paths resolve under ``data.root`` (default: the directory above
the dataset, where ``rewardmap data build`` puts them). Without ``data.train``, synthetic cities are generated
(``rewardmap.synth``, under ``<output_dir>/data/synth``) and built into the three datasets (``rewardmap.data``)
under ``<output_dir>/data/datasets`` — cached:
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
    """Synthetic cities (``out/synth``) → the three datasets (``out/datasets``), cached by parameters; returns the
    datasets folder."""
    params = {"synthetic": asdict(data.synthetic), "format": 2}
    stamp = out / "synthetic.json"
    datasets = out / "datasets"
    if stamp.is_file() and (datasets / "reasonmap-train").is_dir():
        try:
            if json.loads(stamp.read_text()) == params:
                return datasets
        except json.JSONDecodeError:
            pass
    import shutil

    from rewardmap.data import build_datasets
    from rewardmap.synth.writer import write_cities

    s = data.synthetic
    for stale in (out / "synth", datasets):  # a different or half-written build
        shutil.rmtree(stale, ignore_errors=True)
    write_cities(out / "synth", s.cities, seed=s.seed, size=s.size)
    build_datasets(out / "synth" / "stations", out / "synth" / "maps", datasets, seed=s.seed, progress=progress)
    stamp.write_text(json.dumps(params, indent=2))
    return datasets


def select_training_rows(data: DataSettings, output_dir: str | Path, *, progress: bool = False):
    """The training rows ``data.*`` selects (synthesised under ``output_dir/data`` when ``data.train`` is unset,
    filtered by ``data.types``, cut to ``data.max_rows``), with the folder relative image paths resolve against and
    the datasets folder: ``(rows, root, datasets_dir)``. Both engines (TRL, verl) select their rows here."""
    from rewardmap.data import load_rows

    if data.train is None:
        ds_dir = build_synthetic(Path(output_dir) / "data", data, progress=progress)
        train_dir = ds_dir / "reasonmap-train"
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
        keep = [i for i, t in enumerate(rows["type"]) if TaskType.parse(t).value in wanted]
        rows = rows.select(keep)  # select, not filter: no progress bar for a sub-second pass
    if data.max_rows is not None:
        rows = rows.select(range(min(data.max_rows, len(rows))))
    if len(rows) == 0:
        raise ConfigError(f"data: no training rows left in {train_dir} after filtering (types={data.types})")
    return rows, root, ds_dir


def prepare_training_data(data: DataSettings, output_dir: str | Path, *, progress: bool = False) -> TrainingData:
    """Load (or synthesise) the training rows, filter them, and convert them for TRL (images resized to
    ``data.max_pixels``)."""
    from rewardmap.data import to_trl_conversational

    rows, root, ds_dir = select_training_rows(data, output_dir, progress=progress)
    trl = to_trl_conversational(rows, root=root, min_pixels=data.min_pixels, max_pixels=data.max_pixels)
    return TrainingData(train=trl, root=root, datasets_dir=ds_dir, rows=rows)
