"""Pronounceable station, line and city names for synthetic cities.

Four naming styles for stations: ``english`` ("Ashbury Park", "North Kelby"), ``romance`` ("San Lorenzo",
"Porta Vella"), ``chinese`` ("东湖路站"; needs a CJK font to render, see :mod:`rewardmap.synth.fonts`) and ``glyph``
("A", "B7", "K2": one letter and at most one digit, for the ``mini`` preset's tiny maps). Line names follow the
styles real cities use: ``number`` ("Line 3"; "3号线" for Chinese cities), ``colour`` ("Red Line") and ``letter``
("Line A"); ``short`` is the bare colour word ("Red", "Blue") from :data:`MINI_PALETTE`, for the ``mini`` preset.
Every choice goes through the ``random.Random`` passed in.
"""

from __future__ import annotations

import random

from rewardmap.errors import ConfigError
from rewardmap.metro.names import canonical_station

NAMING_STYLES = ("english", "romance", "chinese", "glyph")
LINE_NAMING_STYLES = ("number", "colour", "letter", "short")
#: The styles a spec without ``line_naming`` draws from (``short`` only when asked for, e.g. by the mini preset).
DRAWN_LINE_NAMING_STYLES = ("number", "colour", "letter")

#: Line colours: (colour name used by ``colour`` line names, hex). Chosen to be told apart on white and beige.
PALETTE: tuple[tuple[str, str], ...] = (
    ("Red", "#D7262E"), ("Blue", "#1C63C9"), ("Green", "#17964A"), ("Orange", "#F07C12"),
    ("Purple", "#8140A8"), ("Yellow", "#DDAA00"), ("Brown", "#8A5529"), ("Pink", "#E0609E"),
    ("Teal", "#00A19A"), ("Grey", "#6F7378"), ("Navy", "#1B2F6B"), ("Lime", "#86B817"),
)
MAX_LINES = len(PALETTE)
#: The saturated, mutually distinct subset of :data:`PALETTE` that ``short`` line names draw from (no grey, navy,
#: lime, yellow or brown: too close to a neighbour or too pale on white at 2-3 px line width).
MINI_PALETTE: tuple[tuple[str, str], ...] = tuple(c for c in PALETTE if c[0] in
                                                  ("Red", "Blue", "Green", "Orange", "Purple", "Pink", "Teal"))
#: Letters of ``glyph`` station names: no I or O (read as 1 and 0), no Q (read as O at 10 px).
GLYPH_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
GLYPH_DIGITS = "123456789"
_COLOUR_BADGES = {"Red": "R", "Blue": "Bl", "Green": "Gn", "Orange": "O", "Purple": "Pu", "Yellow": "Y",
                  "Brown": "Br", "Pink": "Pk", "Teal": "T", "Grey": "Gy", "Navy": "N", "Lime": "L"}

_EN_ONSET = ("b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "r", "s", "sh", "st", "t",
             "th", "tr", "w", "wh")
_EN_VOWEL = ("a", "e", "i", "o", "u", "ai", "ea", "oo", "ow")
_EN_CODA = ("ck", "ll", "n", "nd", "r", "rn", "rt", "s", "th", "x", "m", "")
_EN_SUFFIX = ("ton", "ford", "field", "ham", "ley", "wick", "bury", "worth", "by", "dale", "mere", "stead", "well")
_EN_PREFIX = ("North", "South", "East", "West", "Upper", "Lower", "Old", "New", "Great", "Little", "Port")
_EN_TAIL = ("Park", "Street", "Road", "Square", "Green", "Hill", "Bridge", "Cross", "Lane", "Gate", "Market", "Docks",
            "Central", "Common", "Junction")

_RO_ONSET = ("b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "br", "ch", "gi", "tr", "pr")
_RO_VOWEL = ("a", "e", "i", "o", "u", "ia", "io")
_RO_END = ("a", "o", "e", "ino", "ella", "ona", "ano", "eira", "ara", "ento", "ina")
_RO_PREFIX = ("San", "Santa", "Porta", "Piazza", "Via", "Monte", "Villa", "Campo", "Ponte", "Largo", "Praça", "Rio")
_RO_TAIL = ("Nova", "Vella", "Alta", "Bassa", "Maggiore", "Verde", "Real", "del Mar", "Sul", "Norte")

_ZH_CHARS = ("东", "西", "南", "北", "中", "湖", "山", "河", "桥", "门", "园", "城", "港", "新", "龙", "凤", "华", "安",
             "平", "和", "兴", "泰", "江", "海", "林", "石", "金", "水", "阳", "明", "光", "长", "春", "秋", "花", "松",
             "柳", "青", "白", "红", "宝", "福", "庆", "丰", "民", "文", "武", "德", "云", "天", "星", "月", "泉", "塘")
_ZH_TAIL = ("路", "街", "村", "口", "广场", "公园", "大道", "西", "东", "中心", "镇")
_ZH_COLOURS = {"Red": "红", "Blue": "蓝", "Green": "绿", "Orange": "橙", "Purple": "紫", "Yellow": "黄", "Brown": "棕",
               "Pink": "粉", "Teal": "青", "Grey": "灰", "Navy": "藏蓝", "Lime": "草绿"}

_CITY_ONSET = ("V", "K", "M", "B", "T", "D", "L", "R", "S", "C", "N", "P", "G", "Z", "Al", "Or", "El", "Ar")
_CITY_MID = ("al", "or", "en", "ar", "il", "um", "es", "an", "ov", "ir", "ad", "el")
_CITY_END = ("a", "ia", "on", "ora", "ene", "ux", "is", "grad", "holm", "heim", "polis", "mont", "ford", "vik")


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _english_word(rng: random.Random) -> str:
    core = rng.choice(_EN_ONSET) + rng.choice(_EN_VOWEL) + rng.choice(_EN_CODA)
    if rng.random() < 0.7:
        core += rng.choice(_EN_SUFFIX)
    return _cap(core)


def english_station(rng: random.Random) -> str:
    """An English-like station name: "Ashbury", "North Kelby", "Dorton Park"."""
    word = _english_word(rng)
    r = rng.random()
    if r < 0.2:
        return f"{rng.choice(_EN_PREFIX)} {word}"
    if r < 0.55:
        return f"{word} {rng.choice(_EN_TAIL)}"
    return word


def _romance_word(rng: random.Random) -> str:
    n = rng.choice((1, 2, 2))
    word = "".join(rng.choice(_RO_ONSET) + rng.choice(_RO_VOWEL) for _ in range(n))
    end = rng.choice(_RO_END)
    while word and word[-1] in "aeiou" and end[0] in "aeiou":
        word = word[:-1]
    return _cap(word + end)


def romance_station(rng: random.Random) -> str:
    """A Romance-like station name: "San Lorenzo", "Vellona", "Porta Bricina"."""
    word = _romance_word(rng)
    r = rng.random()
    if r < 0.45:
        return f"{rng.choice(_RO_PREFIX)} {word}"
    if r < 0.6:
        return f"{word} {rng.choice(_RO_TAIL)}"
    return word


def chinese_station(rng: random.Random) -> str:
    """A Chinese station name ending with 站: "东湖路站", "龙华站"."""
    core = "".join(rng.choice(_ZH_CHARS) for _ in range(rng.choice((2, 2, 3))))
    if rng.random() < 0.4:
        core += rng.choice(_ZH_TAIL)
    return core + "站"


def glyph_station(rng: random.Random) -> str:
    """A one- or two-glyph station label: a letter ("K", a third of the time) or a letter and a digit ("B7")."""
    letter = rng.choice(GLYPH_LETTERS)
    return letter if rng.random() < 1 / 3 else letter + rng.choice(GLYPH_DIGITS)


_STATION_MAKERS = {"english": english_station, "romance": romance_station, "chinese": chinese_station,
                   "glyph": glyph_station}


def station_names(style: str, n: int, rng: random.Random) -> list[str]:
    """``n`` station names in ``style``, unique within the city under canonical matching (so no two stations of a
    synthetic city can be confused by any of the name cleaners' case/space/suffix folding)."""
    try:
        make = _STATION_MAKERS[style]
    except KeyError:
        raise ConfigError(f"unknown naming style {style!r}; expected one of {', '.join(NAMING_STYLES)}") from None
    out: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(out) < n:
        attempts += 1
        if attempts > 200 * (n + 10):
            raise ConfigError(f"could not draw {n} distinct {style} station names")
        name = make(rng)
        key = canonical_station(name)
        if len(name) > 15 or key in seen:
            continue
        seen.add(key)
        out.append(name)
    return out


def line_names(style: str, n: int, rng: random.Random, *, chinese: bool = False) -> list[tuple[str, str, str]]:
    """``n`` lines as ``(name, badge text, hex colour)``.

    ``number``: "Line 1".."Line n", ``letter``: "Line A"..; colours drawn from :data:`PALETTE` without replacement.
    ``colour``: "Red Line", "Blue Line"… with the matching colour. ``short``: "Red", "Blue"… (the colour word
    alone, from :data:`MINI_PALETTE`, at most 7 lines). Chinese cities: "1号线", "A线", "红线"."""
    if n > MAX_LINES:
        raise ConfigError(f"at most {MAX_LINES} lines are supported (distinct colours), got {n}")
    if style not in LINE_NAMING_STYLES:
        raise ConfigError(f"unknown line naming style {style!r}; expected one of {', '.join(LINE_NAMING_STYLES)}")
    if style == "short":
        if n > len(MINI_PALETTE):
            raise ConfigError(f"'short' line names have {len(MINI_PALETTE)} colours, got {n} lines")
        return [(c, _COLOUR_BADGES[c], hexa) for c, hexa in rng.sample(MINI_PALETTE, n)]
    colours = rng.sample(PALETTE, n)
    if style == "colour":
        if chinese:
            return [(f"{_ZH_COLOURS[c]}线", _COLOUR_BADGES[c], hexa) for c, hexa in colours]
        return [(f"{c} Line", _COLOUR_BADGES[c], hexa) for c, hexa in colours]
    if style == "letter":
        letters = "ABCDEFGHJKLMNPRS"
        if chinese:
            return [(f"{letters[i]}线", letters[i], colours[i][1]) for i in range(n)]
        return [(f"Line {letters[i]}", letters[i], colours[i][1]) for i in range(n)]
    if chinese:
        return [(f"{i + 1}号线", str(i + 1), colours[i][1]) for i in range(n)]
    return [(f"Line {i + 1}", str(i + 1), colours[i][1]) for i in range(n)]


def city_name(rng: random.Random) -> str:
    """A pronounceable city name ("Velmora", "Ardenholm")."""
    mid = rng.choice(_CITY_MID) if rng.random() < 0.6 else ""
    return rng.choice(_CITY_ONSET) + mid + rng.choice(_CITY_END)
