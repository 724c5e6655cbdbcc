"""Hand-written inputs for the data tests: two small cities and tiny PNG maps."""

from __future__ import annotations

from pathlib import Path

TOY_LINES = {
    "Line 1": ["Alpha Station", "Bravo Station (Transfer Station)", "Charlie Station",
               "Delta Station (Transfer Station)", "Echo Station"],
    "Line 2": ["Foxtrot Station", "Bravo Station (Transfer Station)", "Golf Station (Branch-starting Station)",
               "Hotel Station", "India Station", "Juliet Station", "Kilo Station"],
    "Circle Line": ["Delta Station (Transfer Station)", "Lima Station", "Mike Station", "Juliet Station",
                    "November Station", "Delta Station (Transfer Station)"],
}
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
