"""Hand-written inputs for the data tests: two small cities and tiny PNG maps."""

from __future__ import annotations

from pathlib import Path

SECOND_LINES = {
    "Red": ["Oak Station", "Pine Station (Transfer Station)", "Elm Station", "Ash Station"],
    "Blue": ["Fir Station", "Pine Station (Transfer Station)", "Yew Station", "Bay Station (Transfer Station)"],
    "Green": ["Bay Station (Transfer Station)", "Ivy Station", "Moss Station", "Fern Station"],
}


def write_png(path: Path, size=(60, 40), color=(200, 30, 30)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


SMALL_PLUS = {"TorF1": 4, "TorF2": 4, "Counting1": 4, "Counting2": 3, "Counting3": 1}
