"""Station and line names: tag handling, the two official cleaners, and our canonical matcher.

Three normalisations exist, on purpose:

* :func:`clean_eval` — ReasonMap's evaluation ``clean_string`` (``tools.py``; paper-spec §1.5). Used by the official
  accuracy check and map score. Keeps "Station"/"站".
* :func:`clean_reward` — RewardMap's reward ``clean_string`` (``reason_map.py``; paper-spec §3.3, data-schema §4.2).
  Quirks reproduced on purpose: ``Univ`` → ``University`` is applied after ``Univ.`` so "University" becomes
  "universityersity"; likewise "Technology" → "technologynology"; "Metro" is removed anywhere, so "Metropolitan" →
  "politan"; one trailing "站" is dropped *before* parentheses are removed, so "西单站（换乘站）" keeps its "站".
* :func:`canonical_station` / :func:`canonical_line` — ours, used to build the network graph and to resolve what a
  person or a model typed: Unicode NFKC (full-width forms), case folding, accents removed, tags and "Station"/"站"
  suffixes dropped, punctuation and spaces ignored; line aliases "Line 1" = "Route 1" = "1" = "1号线".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: The four tag spellings of the official code (data-schema §4.1) and their tolerant patterns.
TRANSFER_TAGS = (" (Transfer Station)", "（换乘站）")
BRANCH_TAGS = (" (Branch-starting Station)", "（支线起始站）")
_TRANSFER_RE = re.compile(r"\s*(?:\(\s*Transfer Station\s*\)|（\s*换乘站\s*）)")
_BRANCH_RE = re.compile(r"\s*(?:\(\s*Branch-starting Station\s*\)|（\s*支线起始站\s*）)")
_PAREN_RE = re.compile(r"[（(][^()（）]*[)）]")
_WS_DASH_RE = re.compile(r"[\s\-]+")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")


def split_tags(entry: str) -> tuple[str, bool, bool]:
    """Split a station-file entry into ``(name, transfer_tag, branch_tag)``.

    Both spellings are accepted (English with or without the space before the parenthesis, Chinese full-width),
    in any order, and surrounding whitespace is removed from the name. Other parenthesised text is part of the name
    (``"Cathedral Pkwy (110 St) Station"``, ``"四方河（省中医院）站"``).
    """
    transfer = bool(_TRANSFER_RE.search(entry))
    branch = bool(_BRANCH_RE.search(entry))
    name = _BRANCH_RE.sub("", _TRANSFER_RE.sub("", entry)).strip()
    return name, transfer, branch


#: Tag removal order of the released reward manager (``custom.py``) and of the ReasonMap evaluation (``main.py``).
TAG_ORDER = {
    "reward": (" (Transfer Station)", " (Branch-starting Station)", "（换乘站）", "（支线起始站）"),
    "eval": ("（换乘站）", "（支线起始站）", " (Transfer Station)", " (Branch-starting Station)"),
}


def strip_tags_official(entry: str, order: str = "reward") -> str:
    """The official tag removal: four plain ``str.replace`` calls, in the order of ``custom.py`` (``"reward"``) or
    ``main.py`` (``"eval"``); the order matters only when removing one tag spells another.

    Quirk kept: ``"Court St Station(Transfer Station)"`` (no space) and surrounding spaces survive.
    """
    for tag in TAG_ORDER[order]:
        entry = entry.replace(tag, "")
    return entry


def is_cjk(text: str) -> bool:
    """True when the text contains CJK ideographs (decides the tag spelling when saving)."""
    return bool(_CJK_RE.search(text))


def render_entry(name: str, transfer: bool, branch: bool) -> str:
    """Render a station-file entry with tags in the ReasonMap convention for the name's script."""
    cjk = is_cjk(name)
    out = name
    if transfer:
        out += "（换乘站）" if cjk else " (Transfer Station)"
    if branch:
        out += "（支线起始站）" if cjk else " (Branch-starting Station)"
    return out


_OPENERS = "(（"
_CLOSERS = ")）"


_OPENER_RE = re.compile(r"[(（]")
_CLOSER_RE = re.compile(r"[)）]")


def drop_parenthesised(text: str) -> str:
    """``re.sub(r"[\\(（][^\\)）]*[\\)）]", "", text)`` of both released cleaners, in time linear in the text: from
    each opening parenthesis (ASCII or full-width) up to the first closing one after it, inclusive; an opening
    parenthesis with no closing one after it stays (and so does everything after it)."""
    if "(" not in text and "（" not in text:
        return text
    out: list[str] = []
    kept = 0
    while True:
        opened = _OPENER_RE.search(text, kept)
        if opened is None:
            break
        closed = _CLOSER_RE.search(text, opened.end())
        if closed is None:
            break
        out.append(text[kept:opened.start()])
        kept = closed.end()
    out.append(text[kept:])
    return "".join(out)


#: Names longer than this are cleaned without the memo (an adversarial answer must not fill memory).
_MEMO_LIMIT = 512


def clean_eval(text: str) -> str:
    """ReasonMap evaluation ``clean_string`` (tools.py), exactly: drop Metro/metro , * newlines, parenthesised groups
    (:func:`drop_parenthesised`), whitespace and dashes; lowercase. Does not remove "Station" or "站". Not idempotent
    ("METRO" survives once and is removed by a second pass), which the released checkers rely on."""
    return _clean_eval_memo(text) if len(text) <= _MEMO_LIMIT else _clean_eval(text)


def clean_reward(text: str) -> str:
    """RewardMap reward ``clean_string`` (verl/utils/reward_score/reason_map.py), quirks included (module doc)."""
    return _clean_reward_memo(text) if len(text) <= _MEMO_LIMIT else _clean_reward(text)


def _clean_eval(text: str) -> str:
    for token in ("Metro", "metro", ",", "*", "\n"):
        text = text.replace(token, "")
    text = drop_parenthesised(text)
    text = _WS_DASH_RE.sub("", text)
    return text.lower()


def _clean_reward(text: str) -> str:
    for token in ("Metro", "metro", ",", "*", "\n", "'"):
        text = text.replace(token, "")
    for old, new in (("Univ.", "University"), ("Univ", "University"), ("Tech.", "Technology"),
                     ("Tech", "Technology"), ("road", "lu"), ("Road", "lu")):
        text = text.replace(old, new)
    text = text.replace("Station", "").replace("station", "")
    text = text.replace("Asian Games Village", "yayuncun")
    if text.endswith("站"):
        text = text[:-1]
    text = drop_parenthesised(text)
    text = _WS_DASH_RE.sub("", text)
    return text.lower()


_clean_eval_memo = lru_cache(maxsize=65536)(_clean_eval)
_clean_reward_memo = lru_cache(maxsize=65536)(_clean_reward)


_SUFFIX_RE = re.compile(r"(?:\s*\b(?:station|stn|metro station|subway station)\b\.?)+\s*$")
_ALNUM_RE = re.compile(r"[\W_]+", re.UNICODE)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def canonical_station(text: str) -> str:
    """Our station key: tags, "Station"/"站" suffixes, case, accents, full-width forms, spaces and punctuation
    do not matter. ``"Union Station Station"``, ``"union station"`` and ``"ＵＮＩＯＮ Station"`` share one key;
    ``"西单站"`` and ``"西单"`` too. Parenthesised qualifiers that are part of a name are kept (as text)."""
    name, _, _ = split_tags(text)
    folded = _fold(name).strip()
    folded = _SUFFIX_RE.sub("", folded)
    while folded.endswith("站") and len(folded) > 1:
        folded = folded[:-1].rstrip()
    key = _ALNUM_RE.sub("", folded)
    return key or _ALNUM_RE.sub("", _fold(name))


_LINE_WORDS_RE = re.compile(r"\b(?:line|route|linea|ligne|linie|metro|subway|metrorail|mrt|lrt|train)\b")


@lru_cache(maxsize=4096)
def canonical_line(text: str) -> str:
    """Our line key: "Line 1" = "Route 1" = "1" = "1号线" = "Metro Line 1"; "Red Line" = "red"; "房山线" = "房山"."""
    folded = _fold(text).strip()
    folded = _PAREN_RE.sub("", folded)
    folded = re.sub(r"号?线$", "", folded)
    folded = folded.replace("地铁", "")
    folded = _LINE_WORDS_RE.sub(" ", folded)
    key = _ALNUM_RE.sub("", folded)
    return key or _ALNUM_RE.sub("", _fold(text))


def official_route_name(name: str) -> str:
    """The only route-name corrections of the released checkers: a name containing 八通 is "Line 1", one containing
    大兴 is "Line 4" (Beijing); every other name must equal a station-file key exactly."""
    if "八通" in name:
        return "Line 1"
    if "大兴" in name:
        return "Line 4"
    return name
