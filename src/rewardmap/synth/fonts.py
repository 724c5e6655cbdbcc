"""Fonts for map labels, found in installed packages (never downloaded at run time).

* Latin names: DejaVu Sans, shipped inside matplotlib (a core dependency) under ``mpl-data/fonts/ttf``.
* Chinese names: Noto Sans CJK (Simplified Chinese face of the collection) from the PyPI package
  ``noto-cjk-sans-otc`` (``pip install rewardmap[cjk]``), or a system Noto/WenQuanYi CJK font (Debian
  ``fonts-noto-cjk`` / ``fonts-wqy-zenhei``), or the file named by ``REWARDMAP_CJK_FONT``. Without any of them the
  ``chinese`` naming style raises :class:`~rewardmap.errors.ConfigError`; the other styles are unaffected.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from rewardmap.errors import ConfigError

#: Reference size at which text is measured for layout (layout is resolution independent).
REFERENCE_PX = 100

_SYSTEM_CJK = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=4)
def latin_font_path(bold: bool = False) -> Path:
    """DejaVu Sans (or Bold) from matplotlib's data folder (found without importing matplotlib)."""
    base = _package_dir("matplotlib")
    path = None if base is None else base / "mpl-data" / "fonts" / "ttf" / ("DejaVuSans-Bold.ttf" if bold
                                                                            else "DejaVuSans.ttf")
    if path is None or not path.is_file():
        raise ConfigError("DejaVu Sans not found: matplotlib (a rewardmap dependency) is missing or incomplete")
    return path


@lru_cache(maxsize=1)
def cjk_font_path() -> tuple[Path, int] | None:
    """``(path, face index)`` of a CJK font (module doc for the search order), or None."""
    env = os.environ.get("REWARDMAP_CJK_FONT")
    if env and Path(env).is_file():
        return Path(env), 0
    base = _package_dir("noto_cjk_sans_otc")
    if base is not None and (base / "NotoSansCJK-Regular.ttc").is_file():
        return base / "NotoSansCJK-Regular.ttc", 2  # face 2 of the collection = Simplified Chinese
    for p in _SYSTEM_CJK:
        if Path(p).is_file():
            return Path(p), 2 if "Noto" in p else 0
    return None


def has_cjk_font() -> bool:
    """True when Chinese station names can be rendered."""
    return cjk_font_path() is not None


def require_cjk_font() -> tuple[Path, int]:
    found = cjk_font_path()
    if found is None:
        raise ConfigError("the 'chinese' naming style needs a CJK font: pip install 'rewardmap[cjk]' "
                          "(PyPI package noto-cjk-sans-otc), or apt-get install fonts-noto-cjk, or set "
                          "REWARDMAP_CJK_FONT=/path/to/font.ttc")
    return found


@lru_cache(maxsize=256)
def font(size_px: int, *, cjk: bool = False, bold: bool = False) -> ImageFont.FreeTypeFont:
    """A PIL font of ``size_px`` pixels (em size), cached."""
    size_px = max(1, int(size_px))
    if cjk:
        path, index = require_cjk_font()
        return ImageFont.truetype(str(path), size_px, index=index)
    return ImageFont.truetype(str(latin_font_path(bold)), size_px)


@lru_cache(maxsize=65536)
def text_extent(text: str, *, cjk: bool = False, bold: bool = False) -> tuple[float, float]:
    """Width and height of ``text`` per unit of em size (advance width; ascent + descent per line)."""
    f = font(REFERENCE_PX, cjk=cjk, bold=bold)
    ascent, descent = f.getmetrics()
    lines = text.split("\n")
    width = max(f.getlength(s) for s in lines)
    return width / REFERENCE_PX, len(lines) * (ascent + descent) / REFERENCE_PX


@lru_cache(maxsize=65536)
def ink_extent(text: str, *, cjk: bool = False, bold: bool = False) -> tuple[float, float]:
    """Width and height of the ink of one-line ``text`` per unit of em size (what a box drawn tight around capitals
    and digits needs; the renderer centres text on the middle of the line, which is within 2 % of an em of the
    middle of a capital)."""
    f = font(REFERENCE_PX, cjk=cjk, bold=bold)
    x0, y0, x1, y1 = f.getbbox(text, anchor="ls")
    return max(x1 - x0, f.getlength(text)) / REFERENCE_PX, (y1 - y0) / REFERENCE_PX
