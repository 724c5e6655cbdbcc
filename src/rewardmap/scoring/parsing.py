"""Answer parsing for every task type (paper-spec §1.4–1.5, §2.3; data-schema §2.3–2.4).

Two modes, each a named choice:

* ``official`` — the released extraction, quirks included:

  - ReasonMap-Plus (TorF/Counting): if the text has no ``oxed{``, it is cut after the flags "the final answer is",
    "the answer is", "the correct answer is", "the answer should be" (each flag, then its capitalised form, applied
    in sequence; when a flag is found only the first line and the text before the first ". " are kept); with several
    ``oxed{`` only the last one is kept; then ``find_math_answer`` (lowercase, the content from the first ``oxed{``
    to the last ``}``, cut at an unmatched ``}``, the text after the last ``=`` / ``\\approx``, spaces and LaTeX
    noise removed, the MATH ``_strip_string`` normaliser) and ``.rstrip('.').lstrip(':').strip()``.
  - Route answers: split on ``--`` anywhere; keep sections holding ``Route Name:``, ``Departure Stop:`` and
    ``Arrival Stop:`` (case-sensitive; the planning *detail* reward checks the labels case-insensitively);
    route name = regex ``Route Name: (.*?)\\n`` stripped, departure = regex ``Departure Stop: (.*?)\\n``; the arrival
    is everything after ``Arrival Stop:`` (short template, and the RewardMap reward) or regex
    ``Arrival Stop: (.*?)\\n`` (long templates). A regex without a match gives :data:`MISSING`, which matches no
    station and no line (the released code uses the string ``"Wrong"``).

* ``tolerant`` — ours: reasoning wrappers removed, labels matched case-insensitively with any spacing, markdown bold
  and full-width colons; a section's fields end at their line; only the *last* block of route lines is read (so a
  draft inside the reasoning does not count); for Plus answers the last brace-balanced ``\\boxed{...}``, then
  "answer is"/"Answer:" flags, then the last line; yes/no, A–D and integers read from common spellings.

Every function here accepts any value (``None`` reads as "", bytes are decoded, anything else goes through ``str``),
never raises, and runs in time linear in the text. Text beyond :data:`MAX_RESPONSE_CHARS` characters is not read
(a model answer that long is a runaway generation; the cut keeps a reward worker's worst case bounded).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

PARSE_MODES = ("official", "tolerant")

#: The value of a field whose official regex found nothing; equal to no cleaned station or line name.
MISSING = "\x00missing"

#: Parsers read at most this many characters of an answer (module doc).
MAX_RESPONSE_CHARS = 1_000_000

_F = TypeVar("_F", bound=Callable[..., Any])


def as_text(value: object) -> str:
    """Any value as the text a parser reads: str as is, None as "", bytes decoded (UTF-8, invalid bytes replaced),
    anything else through ``str``; cut to :data:`MAX_RESPONSE_CHARS`."""
    if isinstance(value, str):
        text = value
    elif value is None:
        text = ""
    elif isinstance(value, bytes | bytearray | memoryview):
        text = bytes(value).decode("utf-8", "replace")
    else:
        try:
            text = str(value)
        except Exception:  # a hostile __str__
            text = ""
        if not isinstance(text, str):
            text = ""
    return text if len(text) <= MAX_RESPONSE_CHARS else text[:MAX_RESPONSE_CHARS]


def _any_text(fn: _F) -> _F:
    """Let a parser take any value as its first argument (see :func:`as_text`)."""

    @functools.wraps(fn)
    def wrapper(text: object, *args: Any, **kwargs: Any) -> Any:
        return fn(as_text(text), *args, **kwargs)

    return wrapper  # type: ignore[return-value]

# ----------------------------------------------------------------------------------------------- reasoning wrappers
_THINK_CLOSERS = ("</think>", "◁/think▷")


@_any_text
def strip_reasoning(text: str) -> str:
    """The text after the last reasoning closer (``</think>``: Skywork/Qwen style; ``◁/think▷``: Kimi-Thinking);
    the whole text when there is none (ReasonMap ``main.py`` per-model handling, paper-spec §1.5)."""
    best = -1
    best_len = 0
    for closer in _THINK_CLOSERS:
        pos = text.rfind(closer)
        if pos > best:
            best, best_len = pos, len(closer)
    return text if best < 0 else text[best + best_len:]


_QVQ_BOXED_RE = re.compile(r"\\boxed\{(.*?)\}\s*(?:\}|$)", re.S)
_QVQ_TEXT_RE = re.compile(r"\\text\{([^{}]*)\}")


@_any_text
def qvq_final_answer(text: str) -> str:
    """QVQ handling of ReasonMap ``main.py``: the ``\\text{...}`` contents inside ``\\boxed{...}`` joined by
    newlines, or the whole response when there are none."""
    box = last_boxed(text)
    if box is None:
        return text
    parts = _QVQ_TEXT_RE.findall(box)
    return "\n".join(parts) if parts else text


def _closing(text: str, start: int, opening: str, closing: str) -> int | None:
    """Index of the bracket that closes one already-open ``opening`` before ``start``, or None when it never
    closes. Linear time."""
    depth = 1
    for i in range(start, len(text)):
        ch = text[i]
        if ch == opening:
            depth += 1
        elif ch == closing:
            depth -= 1
            if depth == 0:
                return i
    return None


_BOX_RE = re.compile(r"\\boxed\{|\\fbox\{")
_BRACE_RE = re.compile(r"[{}]")


@_any_text
def last_boxed(text: str) -> str | None:
    """Content of the last brace-balanced ``\\boxed{...}`` (``\\fbox{`` too), or None. One pass over the braces
    matches every ``{`` with its ``}``, so unclosed boxes cost linear time, not quadratic."""
    if "oxed{" not in text and "fbox{" not in text:
        return None
    starts = [m.end() for m in _BOX_RE.finditer(text)]
    if not starts:
        return None
    closes: dict[int, int] = {}
    stack: list[int] = []
    for m in _BRACE_RE.finditer(text, starts[0] - 1):
        if m.group() == "{":
            stack.append(m.start())
        elif stack:
            closes[stack.pop()] = m.start()
    for start in reversed(starts):
        end = closes.get(start - 1)
        if end is not None:
            return text[start:end]
    return None


# ---------------------------------------------------------------------------------------- ReasonMap-Plus (official)
_FLAGS = ("the final answer is", "the answer is", "the correct answer is", "the answer should be")
_FLAG_PAIRS = tuple((f, f.replace("the", "The")) for f in _FLAGS)


@_any_text
def extract_plus_official(response: str) -> str:
    """The released Plus answer extraction (module doc, paper-spec §2.3). Returns the lower-cased answer string.
    Answers up to 512 characters are memoised (a GRPO group repeats the same short answers)."""
    return _extract_plus_official_memo(response) if len(response) <= 512 else _extract_plus_official(response)


def _extract_plus_official(response: str) -> str:
    a = response
    if "oxed{" not in a:
        for pair in _FLAG_PAIRS:
            for flag in pair:
                if flag in a:
                    a = a.split(flag)[-1].strip()
                    a = a.split("\n")[0].split(". ")[0]
                else:
                    a = a.strip()
    elif a.count("oxed{") > 1:
        a = "\\boxed{" + a.split("oxed{")[-1]
    return find_math_answer(a).rstrip(".").lstrip(":").strip()


_extract_plus_official_memo = functools.lru_cache(maxsize=65536)(_extract_plus_official)


@_any_text
def find_math_answer(s: str) -> str:
    """``find_math_answer`` of the released utils (MathVision style), made linear-time and exception-free.

    The greedy regex ``oxed{(.*)}`` (DOTALL, last match) selects the text from the first ``oxed{`` to the last
    ``}``; that is computed directly here with ``find``/``rfind`` (same result, no backtracking)."""
    ans = boxed_core(s.lower())
    close = ans.find("}")
    if close != -1:
        opening = ans.find("{")
        if opening == -1 or close < opening:
            ans = ans.split("}")[0]
    ans = ans.split("=")[-1]
    ans = ans.split("\\approx")[-1]
    if ans.isalnum():  # the common "yes" / "b" / "3": only the letters-only replacements can apply
        for old, new in (("bmatrix", "pmatrix"), ("units", ""), ("km", "")):
            if old in ans:
                ans = ans.replace(old, new)
        return _strip_string(ans)
    for old, new in ((" ", ""), ("\\,", ""), ("∞", "\\infty"), ("+\\infty", "\\infty"), ("\\\\", "\\"),
                     ("\n", ""), ("\\text", ""), ("\\mbox", ""), ("bmatrix", "pmatrix"), ("\\left", ""),
                     ("\\right", ""), ("^{\\circ}", ""), ("^\\circ", ""), ("{m}^3", ""), ("m^3", ""),
                     ("{units}", ""), ("units", ""), ("{km}", ""), ("km", "")):
        if old in ans:
            ans = ans.replace(old, new)
    return _strip_string(ans)


@_any_text
def boxed_core(s: str) -> str:
    """``re.findall("oxed{(.*)}", s.replace("{}", ""), re.S)[-1]`` (or the string when there is no match), in linear
    time: the greedy match runs from the first ``oxed{`` to the last ``}``, and it is the only match."""
    if "{}" in s:
        s = s.replace("{}", "")
    first = s.find("oxed{")
    last = s.rfind("}")
    return s[first + 5:last] if first >= 0 and last >= first + 5 else s


def _fix_fracs(string: str) -> str:
    substrs = string.split("\\frac")
    new_str = substrs[0]
    for substr in substrs[1:]:
        new_str += "\\frac"
        if substr[:1] == "{":
            new_str += substr
            continue
        if len(substr) < 2:
            return string
        a, b = substr[0], substr[1]
        post = substr[2:]
        new_str += ("{" + a + "}{" + b + "}" + post) if b != "{" else ("{" + a + "}" + b + post)
    return new_str


def _fix_a_slash_b(string: str) -> str:
    parts = string.split("/")
    if len(parts) != 2:
        return string
    try:
        a, b = int(parts[0]), int(parts[1])
    except ValueError:  # also int()'s digit limit, which the released bare ``except`` catches too
        return string
    if string != f"{a}/{b}":
        return string
    return "\\frac{" + str(a) + "}{" + str(b) + "}"


def _fix_sqrt(string: str) -> str:
    if "\\sqrt" not in string:
        return string
    splits = string.split("\\sqrt")
    out = splits[0]
    for split in splits[1:]:
        if split[:1] and split[0] != "{":
            out += "\\sqrt{" + split[0] + "}" + split[1:]
        else:
            out += "\\sqrt" + split
    return out


def _strip_string(string: str) -> str:
    """The released ``_strip_string`` (MATH normaliser as modified there), step for step: note that every ``$`` goes,
    ``\\frac`` fixing runs only when the text holds "sqrt", and an ``=`` / ``\\approx`` keeps the part after it
    when there is exactly one."""
    if string.isalnum():  # nothing below can apply but the frac spellings
        return string.replace("tfrac", "frac").replace("dfrac", "frac") if "frac" in string else string
    for old, new in (("\n", ""), ("\\!", ""), ("\\\\", "\\"), ("tfrac", "frac"), ("dfrac", "frac"),
                     ("\\left", ""), ("\\right", ""), ("^{\\circ}", ""), ("^\\circ", ""), ("\\$", ""), ("$", "")):
        if old in string:
            string = string.replace(old, new)
    string = string.split("\\text{ ")[0]  # _remove_right_units
    string = string.replace("\\%", "")
    string = string.replace(" .", " 0.").replace("{.", "{0.")
    if not string:
        return string
    if string[0] == ".":
        string = "0" + string
    parts = string.split("=")
    if len(parts) == 2:
        string = parts[1]
    parts = string.split("\\approx")
    if len(parts) == 2:
        string = parts[1]
    if "sqrt" in string:
        string = _fix_sqrt(string)
    string = string.replace(" ", "")
    if "sqrt" in string:
        string = _fix_fracs(string)
    if string == "0.5":
        string = "\\frac{1}{2}"
    return _fix_a_slash_b(string)


# ---------------------------------------------------------------------------------------- ReasonMap-Plus (tolerant)
_TOLERANT_FLAG_RE = re.compile(
    r"(?:final\s+answer|correct\s+answer|the\s+answer|answer)\s*(?:is|should\s+be|would\s+be|[:：])\s*", re.I)
_NOISE_RE = re.compile(r"[*_`\"'“”‘’$]|\\text\{|\\mathrm\{|\\textbf\{|[{}]")
_YES = {"yes", "y", "true", "是", "对", "正确", "correct", "right"}
_NO = {"no", "n", "false", "否", "不", "不是", "错", "错误", "incorrect", "wrong"}
_CHOICE_RE = re.compile(r"^(?:option|choice|answer)?\s*[(\[]?\s*([a-d])\s*(?:[)\].:：,]|\s|$)", re.I)
_INT_RE = re.compile(r"[-+]?\d+")
_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}


@_any_text
def extract_plus_tolerant(response: str) -> str:
    """Our lenient extraction: reasoning removed; last balanced ``\\boxed{}``; else the text after the last
    "answer is" / "Answer:" flag (its first line); else the last non-empty line. NFKC-normalised, markdown and LaTeX
    noise removed, lower-cased, trailing punctuation stripped."""
    text = strip_reasoning(response)
    box = last_boxed(text)
    if box is None:
        matches = list(_TOLERANT_FLAG_RE.finditer(text[-4000:]))
        if matches:
            tail = text[-4000:][matches[-1].end():]
            box = tail.strip().split("\n", 1)[0]
        else:
            lines = [ln for ln in text.strip().splitlines() if ln.strip()]
            box = lines[-1] if lines else ""
    box = unicodedata.normalize("NFKC", box[:2000])
    box = _NOISE_RE.sub("", box).strip().lower()
    return box.strip(" .。!！:：;；,，")


@_any_text
def tolerant_yes_no(answer: str) -> str | None:
    """``"yes"`` / ``"no"`` from a tolerant answer string, or None."""
    word = re.split(r"[\s,.;:!。，]", answer.strip(), maxsplit=1)[0] if answer.strip() else ""
    if answer in _YES or word in _YES:
        return "yes"
    if answer in _NO or word in _NO:
        return "no"
    return None


@_any_text
def tolerant_choice(answer: str) -> int | None:
    """Option index 0–3 from "B", "(b)", "B) 13", "option B", or None."""
    m = _CHOICE_RE.match(answer.strip())
    return None if m is None else "abcd".index(m.group(1).lower())


@_any_text
def tolerant_int(answer: str) -> int | None:
    """The integer of "3", "3 lines", "three"; None when there is not exactly one integer."""
    found = _INT_RE.findall(answer[:200])
    if len(found) == 1:
        return int(found[0])
    if not found:
        return _NUMBER_WORDS.get(answer.strip())
    return None


# ------------------------------------------------------------------------------------------------- route answers
@dataclass(frozen=True)
class ParsedSection:
    """One section of a route answer: raw (uncleaned) fields as the parser found them.

    ``num_via`` is the raw text read for "Number of Via Stops" and ``via`` the raw text for "Via Stops" (long
    templates only); both None when not read."""

    route_name: str
    departure: str
    arrival: str
    num_via: str | None = None
    via: str | None = None


_LABELS = ("Route Name:", "Departure Stop:", "Arrival Stop:")


def _line_after(section: str, label: str) -> str:
    """``re.search(label + "(.*?)\\n", section).group(1)`` without the regex engine, or :data:`MISSING`: ``.`` stops at
    newlines, so the match runs from the first occurrence of the label to the next newline."""
    i = section.find(label)
    if i < 0:
        return MISSING
    j = section.find("\n", i + len(label))
    return MISSING if j < 0 else section[i + len(label):j]

ROUTE_TEMPLATES = ("short", "long1", "long2")


@_any_text
def parse_route_official(text: str, template: str = "short", *, labels_case_sensitive: bool = True
                         ) -> tuple[ParsedSection, ...]:
    """Sections of a route answer as the released code reads them (module doc).

    ``template``: ``short`` (arrival = everything after the label; also what the RewardMap reward uses), ``long1``
    (arrival by regex, plus the text after "Number of Via Stops: "), ``long2`` (arrival by regex, plus the text after
    "Via Stops: "). ``labels_case_sensitive=False`` is the planning detail reward's label check."""
    if "Arrival Stop" not in text and (labels_case_sensitive or "arrival stop" not in text.lower()):
        return ()
    out: list[ParsedSection] = []
    for section in text.split("--"):
        if labels_case_sensitive:
            if "Route Name:" not in section or "Departure Stop:" not in section or "Arrival Stop:" not in section:
                continue
        else:
            low = section.lower()
            if "route name:" not in low or "departure stop:" not in low or "arrival stop:" not in low:
                continue
        route = _line_after(section, "Route Name: ")
        route = route.strip() if route is not MISSING else MISSING
        dep = _line_after(section, "Departure Stop: ")
        if template == "short":
            arr = section.split("Arrival Stop:")[-1].strip() if "Arrival Stop:" in section else MISSING
            out.append(ParsedSection(route, dep, arr))
            continue
        arr = _line_after(section, "Arrival Stop: ")
        if template == "long1":
            out.append(ParsedSection(route, dep, arr, num_via=section.split("Number of Via Stops: ")[-1]))
        else:
            out.append(ParsedSection(route, dep, arr, via=section.split("Via Stops: ")[-1]))
    return tuple(out)


_T_LABEL_RE = re.compile(
    r"^[\s>*_#`\-•·]{0,12}(?:\d{1,2}[.)]\s*)?(route\s*name|line|departure\s*stop|departure|arrival\s*stop|arrival|"
    r"number\s*of\s*via\s*stops|via\s*stops)[\s*_`]{0,6}[:：](.*)$", re.I)
_T_SEP_RE = re.compile(r"^[\s\-–—=_*]*$")
_FIELD_OF = {"routename": "route", "line": "route", "departurestop": "dep", "departure": "dep",
             "arrivalstop": "arr", "arrival": "arr", "numberofviastops": "num_via", "viastops": "via"}
#: Tolerant mode reads at most this many sections; a longer block of route lines is not a route answer.
MAX_TOLERANT_SECTIONS = 64
_MAX_BLOCK_LINES = 6 * MAX_TOLERANT_SECTIONS


def _label(line: str) -> tuple[str, str] | None:
    head = line[:64]
    if ":" not in head and "：" not in head:
        return None
    if not head.isascii():
        line = unicodedata.normalize("NFKC", line[:64]) + line[64:]
    m = _T_LABEL_RE.match(line)
    if m is None:
        return None
    return _FIELD_OF[re.sub(r"\s+", "", m.group(1).lower())], m.group(2).strip(" \t*_`").rstrip(".。;；,，").rstrip()


def _sections_of(labels: list[tuple[str, str]]) -> tuple[ParsedSection, ...]:
    groups: list[dict[str, str]] = []
    for field, value in labels:
        if field == "route" or not groups or field in groups[-1]:
            groups.append({})
        groups[-1][field] = value
    return tuple(ParsedSection(s.get("route") or MISSING, s.get("dep") or MISSING, s.get("arr") or MISSING,
                               s.get("num_via"), s.get("via"))
                 for s in groups if "dep" in s and "arr" in s and "route" in s)


@_any_text
def parse_route_tolerant(text: str) -> tuple[ParsedSection, ...]:
    """Our lenient route parser (module doc): label lines in any case/spacing, bold, full-width colon; a new
    "Route Name" starts a section; the last block of route lines holding a complete section wins. A block longer
    than :data:`MAX_TOLERANT_SECTIONS` sections gives no route (bounded work on adversarial text)."""
    lines = strip_reasoning(text).splitlines()
    block: list[tuple[str, str]] = []
    for line in reversed(lines):
        found = _label(line)
        if found is not None:
            block.append(found)
            if len(block) > _MAX_BLOCK_LINES:
                return ()
            continue
        if _T_SEP_RE.match(line):
            continue
        if block:
            sections = _sections_of(block[::-1])
            if sections:
                return sections if len(sections) <= MAX_TOLERANT_SECTIONS else ()
            block = []
    sections = _sections_of(block[::-1])
    return sections if len(sections) <= MAX_TOLERANT_SECTIONS else ()


@_any_text
def parse_route(text: str, template: str = "short", mode: str = "official") -> tuple[ParsedSection, ...]:
    """Route sections in the given parse mode (``official`` or ``tolerant``)."""
    if mode == "tolerant":
        return parse_route_tolerant(text)
    return parse_route_official(text, template)


def split_via_official(via: str | None) -> tuple[str, ...]:
    """The released via-stop split: ``split(",")`` only when the text holds "站" (Chinese cities), items not
    stripped; otherwise no via stops."""
    via = as_text(via) if via is not None else ""
    if not via or "站" not in via:
        return ()
    return tuple(via.strip().split(","))


def split_via_tolerant(via: str | None) -> tuple[str, ...]:
    """Via stops split on commas (ASCII, full-width, 、) or semicolons, stripped, empties and "none" dropped."""
    via = as_text(via) if via is not None else ""
    if not via:
        return ()
    items = (s.strip(" .。\t") for s in re.split(r"[,，、;；]", via.strip()))
    return tuple(s for s in items if s and s.lower() not in ("none", "n/a", "无"))


def parse_int(text: str | None) -> int | None:
    """The integer a "Number of Via Stops" value holds (first integer of its first line), or None."""
    if text is None:
        return None
    m = _INT_RE.search(as_text(text).strip().split("\n", 1)[0][:100])
    return int(m.group(0)) if m else None


# ------------------------------------------------------------------------------------------------ "Stops: [...]"
_STOPS_RE = re.compile(r"Stops\s*:\s*\[", re.I)


@_any_text
def extract_stops(text: str) -> tuple[str, ...]:
    """The ``Stops: [...]`` list (RewardMap ``extract_stops_no_quotes``, data-schema §2.4): bracket-balanced content,
    split on commas outside parentheses, items stripped of spaces, ``.`` and ``;`` and a leading "and ", ``...``/``…``
    dropped. Empty when absent."""
    m = _STOPS_RE.search(text)
    if m is None:
        return ()
    start = m.end()
    end = _closing(text, start, "[", "]")
    body = text[start:] if end is None else text[start:end]
    items: list[str] = []
    buf: list[str] = []
    paren = 0
    for ch in body:
        if ch in "(（":
            paren += 1
        elif ch in ")）":
            paren = max(0, paren - 1)
        if ch == "," and paren == 0:
            items.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    items.append("".join(buf))
    out = []
    for item in items:
        item = item.strip().strip(".;").strip()
        if item.lower().startswith("and "):
            item = item[4:].strip()
        if item and item not in ("...", "…"):
            out.append(item)
    return tuple(out)
