"""Exact question texts of ReasonMap (planning) and ReasonMap-Plus (data-schema §2).

Where the released dataset text is known it wins over the papers' renderings:

* the short planning question is the ReasonMap-Train viewer text ("The format should be:", example lines
  ``Line 1`` / ``Line 3``, ``某站``, the "Where each section…" sentence) — data-schema §2.1 [READ]; non-Chinese cities
  use ``xx Station`` in place of ``某站`` [INFERRED there];
* the two long templates are only known from the paper (line breaks lost); we render them on the short question's
  skeleton (data-schema §2.1 [INFERRED]), keeping the code facts that matter: template 1 contains
  ``Number of Via Stops:``, template 2 contains ``Via Stops:`` but not ``Number of Via Stops:``;
* the Counting1 text is the RewardMap README form with a space before every ``\\n`` and a trailing `` \\n``
  (data-schema §2.2 [READ]); Counting2/3 and TorF1/2 are the paper A.2 texts with the literal ``"\\boxed{}"``.
"""

from __future__ import annotations

from collections.abc import Sequence

from rewardmap.metro.names import is_cjk

# ---------------------------------------------------------------------------------------------- ReasonMap-Plus
PLUS_PREFIX_CHOICE = 'Please solve the multiple choice problem and put your answer (one of ABCD) in one "\\boxed{}". '
PLUS_PREFIX_NUMBER = 'Please solve the problem and put your answer in one "\\boxed{}". '
PLUS_PREFIX_YESNO = 'Please solve the problem and put your answer (only answer yes or no) in one "\\boxed{}". '

COUNTING1_TEMPLATE = (PLUS_PREFIX_CHOICE + "According to the subway map, how many intermediate stops are there between "
                      "{station_1} and {station_2} (except for this two stops)? \nA) {o0} \nB) {o1} \nC) {o2} \n"
                      "D) {o3} \n")
COUNTING2_TEMPLATE = PLUS_PREFIX_NUMBER + "According to the subway map, how many lines pass through {station_1}?"
COUNTING3_TEMPLATE = (PLUS_PREFIX_NUMBER
                      + "According to the subway map, how many subway (metro) lines are there in total?")
TORF1_TEMPLATE = (PLUS_PREFIX_YESNO
                  + "According to the subway map, is it true that {station_1} is the same line as {station_2}?")
TORF2_TEMPLATE = PLUS_PREFIX_YESNO + "According to the subway map, is it true that {station_1} is on the line {line}?"

OPTION_LETTERS = "ABCD"


def _fill(template: str, **slots: object) -> str:
    """Replace ``{slot}`` markers (``str.format`` cannot be used: the texts contain a literal ``"\\boxed{}"``)."""
    for key, value in slots.items():
        template = template.replace("{" + key + "}", str(value))
    return template


def counting1_question(station_1: str, station_2: str, options: Sequence[int]) -> str:
    """Local Counting 1: intermediate stops between two stops, four options A–D."""
    if len(options) != 4:
        raise ValueError(f"Counting1 needs exactly 4 options, got {len(options)}")
    return _fill(COUNTING1_TEMPLATE, station_1=station_1, station_2=station_2,
                                     o0=options[0], o1=options[1], o2=options[2], o3=options[3])


def counting2_question(station: str) -> str:
    """Local Counting 2: number of lines through a station."""
    return _fill(COUNTING2_TEMPLATE, station_1=station)


def counting3_question() -> str:
    """Global Counting: number of lines on the map."""
    return COUNTING3_TEMPLATE


def torf1_question(station_1: str, station_2: str) -> str:
    """True or False 1: are the two stations on one line ("is the same line as", the paper's wording)."""
    return _fill(TORF1_TEMPLATE, station_1=station_1, station_2=station_2)


def torf2_question(station: str, line: str) -> str:
    """True or False 2: is the station on the given line (``line`` = the station file's line key)."""
    return _fill(TORF2_TEMPLATE, station_1=station, line=line)


# ---------------------------------------------------------------------------------------------- ReasonMap planning
_PLANNING_HEAD = "According to the subway map, how do I get from {station_1} to {station_2}? "
_SHORT_ASK = "Provide only one optimal route, with only the line name and the departure and arrival stations. "
_LONG1_ASK = ("Provide only one optimal route, and include the number of via stops for each route section (excluding "
              "the departure and arrival stops). ")
_LONG2_ASK = "Provide only one optimal route, including all the via stops. "
_FORMAT_INTRO = "The format should be:\n"
_TAIL = ("Where each section of the route is separated by two '-'. And if the answer is a direct route without "
         "transfers, there is no need to split the section.")

#: The placeholder station of the format example: ``某站`` for Chinese cities (dataset text), ``xx Station`` else.
PLACEHOLDER_CJK = "某站"
PLACEHOLDER_LATIN = "xx Station"


def placeholder_for(*names: str) -> str:
    """``某站`` when any of the names is Chinese, else ``xx Station``."""
    return PLACEHOLDER_CJK if any(is_cjk(n) for n in names) else PLACEHOLDER_LATIN


def _format_block(placeholder: str, template: str) -> str:
    sections = []
    for line in ("Line 1", "Line 3"):
        rows = [f"Route Name: {line}", f"Departure Stop: {placeholder}", f"Arrival Stop: {placeholder}"]
        if template == "long1":
            rows.append("Number of Via Stops: x")
        elif template == "long2":
            rows.append(f"Via Stops: {placeholder}, {placeholder}")
        sections.append("\n".join(rows))
    return "\n--\n".join(sections) + "\n"


def planning_question(station_1: str, station_2: str, template: str = "short", *,
                      placeholder: str | None = None) -> str:
    """A ReasonMap planning question. ``template``: ``short`` (the dataset's ``question_short``), ``long1``
    (number of via stops) or ``long2`` (via-stop list). ``placeholder`` defaults by script (:func:`placeholder_for`)."""
    asks = {"short": _SHORT_ASK, "long1": _LONG1_ASK, "long2": _LONG2_ASK}
    if template not in asks:
        raise ValueError(f"unknown planning template {template!r}; expected short, long1 or long2")
    ph = placeholder or placeholder_for(station_1, station_2)
    return (_PLANNING_HEAD.format(station_1=station_1, station_2=station_2) + asks[template] + _FORMAT_INTRO
            + _format_block(ph, template) + _TAIL)


def long_template_of(question_long: str) -> str:
    """Which long template a ``question_long`` uses, decided as the official evaluator does (``main.py``):
    ``long1`` when it contains ``Number of Via Stops:``, else ``long2``."""
    return "long1" if "Number of Via Stops:" in question_long else "long2"
