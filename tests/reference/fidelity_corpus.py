"""A seeded corpus of rows and answers for the differential tests, built from raw station files.

Deliberately independent of the package: station lists are read with ``json`` and the released tag spellings, routes
are random walks over the lists (correct by the released checker's rules without being optimal), and every answer is
perturbed the ways a model's answer varies: case, suffixes ("Station", "站"), tags, line-name forms, labels, separators,
CRLF, boxes, ``$``, "the answer is", odd numbers, Counting1 letters and stop lists, truncation, garbage and long text.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TAGS = (" (Transfer Station)", " (Branch-starting Station)", "（换乘站）", "（支线起始站）")
PLUS = ("TorF1", "TorF2", "Counting1", "Counting2", "Counting3")
LEVELS = ("easy", "middle", "hard")


def strip(entry: str) -> str:
    for tag in TAGS:
        entry = entry.replace(tag, "")
    return entry


@dataclass
class City:
    country: str
    city: str
    path: Path
    raw: dict[str, list[str]]
    lines: dict[str, list[str]] = field(init=False)
    on: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.lines = {k: [strip(s) for s in v] for k, v in self.raw.items()}
        self.on = {}
        for line, stops in self.lines.items():
            for s in stops:
                if line not in self.on.setdefault(s, []):
                    self.on[s].append(line)

    @property
    def china(self) -> bool:
        return self.country == "china"


def load_cities(stations_root: Path) -> list[City]:
    out = []
    for path in sorted(stations_root.glob("*/*.json")):
        out.append(City(path.parent.name, path.stem, path, json.loads(path.read_text(encoding="utf-8"))))
    return out


# New York style: one line lists two distinct stations of the same name (the released code keeps both entries).
SYNTHETIC = {
    ("united_states", "gotham"): {
        "B": ["145 St Station", "7 Av Station (Transfer Station)", "47-50 Sts Station", "Broadway Station",
              "Atlantic Av Station (Transfer Station)", "7 Av Station", "Prospect Park Station (Transfer Station)",
              "Church Av Station"],
        "R": ["Court St Station", "36 St Station (Transfer Station)", "45 St Station", "Atlantic Av Station (Transfer Station)",
              "36 St Station", "Bay Ridge Station"],
        "Q Train": ["7 Av Station (Transfer Station)", "Times Sq Station", "Atlantic Av Station (Transfer Station)",
                    "Prospect Park Station (Transfer Station)", "Coney Island Station"],
        "1 Line": ["36 St Station (Transfer Station)", "Union Station", "Univ. Heights Station", "Tech Park Station"],
    },
    ("malaysia", "kl"): {
        "Line 3": ["Sentul Timur Station", "Masjid Jamek Station (Transfer Station)", "Ampang Station"],
        "Line 5": ["Gombak Station", "Masjid Jamek Station (Transfer Station)", "KL Sentral Station (Transfer Station)",
                   "Putra Heights Station"],
        "Line 9": ["Kwasa Damansara Station", "Pasar Seni Station (Transfer Station)", "Kajang Station"],
        "Line 2": ["Tanjung Malim Station", "KL Sentral Station (Transfer Station)", "Pasar Seni Station (Transfer Station)",
                   "Pelabuhan Klang Station"],
    },
    ("new_zealand", "auckland"): {
        "Western Line": ["Britomart Station (Transfer Station)", "Kingsland Station", "Swanson Station"],
        "Southern Line": ["Britomart Station (Transfer Station)", "Newmarket Station (Transfer Station)", "Pukekohe Station"],
        "Eastern Line": ["Britomart Station (Transfer Station)", "Panmure Station", "Newmarket Station (Transfer Station)"],
    },
    ("china", "gudao"): {
        "Line 1": ["西单站（换乘站）", "复兴门站", "大学路站（换乘站）", "西单站", "苹果园站"],
        "八通线": ["四惠站（换乘站）", "大学路站（换乘站）", "土桥站"],
        "Line 10": ["大学路站（换乘站）", "四惠站（换乘站）", "东管头南站 （换乘站）", "Metro Park站"],
        "大兴线": ["东管头南站 （换乘站）", "天宫院站"],
    },
}


def synthetic_cities(root: Path) -> list[City]:
    out = []
    for (country, city), raw in SYNTHETIC.items():
        path = root / "stations" / country / f"{city}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8")
        out.append(City(country, city, path, raw))
    return out


# --------------------------------------------------------------------------------------------------- routes
Leg = tuple[str, str, str]  # line, departure, arrival


def random_route(c: City, rng: random.Random, legs: int) -> list[Leg]:
    line = rng.choice(list(c.lines))
    here = rng.choice(c.lines[line])
    route: list[Leg] = []
    for k in range(legs):
        stops = c.lines[line]
        if k < legs - 1:
            transfers = [s for s in stops if s != here and len(c.on[s]) > 1]
            if not transfers:
                break
            nxt = rng.choice(transfers)
        else:
            others = [s for s in stops if s != here] or stops
            nxt = rng.choice(others)
        route.append((line, here, nxt))
        here = nxt
        choices = [ln for ln in c.on[here] if ln != line]
        if not choices:
            break
        line = rng.choice(choices)
    return route or [(line, here, rng.choice(c.lines[line]))]


def via(c: City, leg: Leg) -> list[str]:
    stops = c.lines[leg[0]]
    if leg[1] not in stops or leg[2] not in stops:
        return []
    i, j = stops.index(leg[1]), stops.index(leg[2])
    seg = stops[min(i, j) + 1: max(i, j)]
    return seg if i <= j else seg[::-1]


# ------------------------------------------------------------------------------------------ name perturbations
def suffixless(name: str) -> str:
    if name.endswith(" Station"):
        return name[: -len(" Station")]
    if name.endswith("站") and len(name) > 1:
        return name[:-1]
    return name


def vary_station(name: str, rng: random.Random, c: City) -> str:
    r = rng.random()
    if r < 0.45:
        return name
    options = [
        lambda s: suffixless(s),
        lambda s: s.upper(),
        lambda s: s.lower(),
        lambda s: s.replace("Station", "STATION"),
        lambda s: s + " Station",
        lambda s: s + "站",
        lambda s: s + "站站",
        lambda s: s + " (Transfer Station)",
        lambda s: s + "（换乘站）",
        lambda s: " " + s + " ",
        lambda s: s + "\r",
        lambda s: "**" + s + "**",
        lambda s: s.replace(" ", "-"),
        lambda s: s.replace(" ", ""),
        lambda s: s + ".",
        lambda s: "'" + s + "'",
        lambda s: s[: max(1, len(s) // 2)],
        lambda s: rng.choice(list(c.on)),
        lambda s: s.replace("University", "Univ.").replace("Road", "road"),
        lambda s: "Metro " + s,
        lambda s: s + " (" + rng.choice(["north", "B1", "换乘"]) + ")",
    ]
    return rng.choice(options)(name)


def app_line_name(c: City, line: str, rng: random.Random) -> str:
    """A reference (map-app) route name for a station-file line, in the styles the public data holds."""
    digits = "".join(ch for ch in line if ch.isdigit())
    if c.china:
        if digits and rng.random() < 0.8:
            return f"地铁{digits}号线({rng.choice(list(c.on))}--{rng.choice(list(c.on))})"
        return rng.choice([f"地铁{line}(甲--乙)", line, f"地铁{line}"])
    letter = line.replace("Line ", "") if line.startswith("Line ") else line
    return rng.choice([line, f"Metro {letter} Line", f"Metro {letter}-Line", f"Linea {letter}", f"Metro {letter}",
                       letter, f"{letter} Line", f"{letter} Train", f"M{digits or 1}", "West", "Sth", "MRed1", "MGrn",
                       "Ampang Line", "LRT Kelana Jaya Line", "KTM Batu Caves - Pulau Sebang/Tampin", line.upper()])


def vary_line(line: str, rng: random.Random, c: City) -> str:
    r = rng.random()
    if r < 0.55:
        return line
    digits = "".join(ch for ch in line if ch.isdigit())
    letter = line.replace("Line ", "")
    return rng.choice([line.lower(), line.upper(), f"{digits or letter}号线", digits or letter, f"Metro {line}",
                       f"Metro {letter} Line", f"Linea {letter}", f"{letter} Train", f"Route {letter}",
                       rng.choice(list(c.lines)), "Line 99", line + " ", "八通线", "大兴线", "M" + (digits or "2"),
                       "West", "MRed2", "Ampang Line", line + " (Transfer Station)"])


# ------------------------------------------------------------------------------------------------ answers
def route_text(c: City, legs: list[Leg], rng: random.Random, template: str = "short",
               truth: list[list[str]] | None = None) -> str:
    crlf = rng.random() < 0.08
    lower_labels = rng.random() < 0.06
    sep = rng.choice(["--", "--", "--", "\n--\n", "---", " -- ", "\n\n", "—"])
    secs = []
    for _k, (line, dep, arr) in enumerate(legs):
        parts = [f"Route Name: {vary_line(line, rng, c)}", f"Departure Stop: {vary_station(dep, rng, c)}",
                 f"Arrival Stop: {vary_station(arr, rng, c)}"]
        if template == "long1":
            n = len(via(c, (line, dep, arr)))
            parts.append("Number of Via Stops: " + rng.choice(
                [str(n), str(n), str(n + 1), str(max(0, n - 2)), f"{n} stops", "three", "", "N/A", f"about {n}",
                 f"{n}.0", f"-{n}", "0", f"{n} or {n + 1}", "99999999999999999999"]))
        elif template == "long2":
            vs = via(c, (line, dep, arr))
            if rng.random() < 0.3:
                vs = [suffixless(v) for v in vs]
            if rng.random() < 0.2:
                vs = [*vs[:len(vs) // 2], rng.choice(list(c.on))]
            joiner = rng.choice([", ", ",", "，", "、", "; "])
            parts.append("Via Stops: " + (joiner.join(vs) if vs else rng.choice(["", "None", "无"])))
        if rng.random() < 0.05:
            rng.shuffle(parts)
        if rng.random() < 0.04:
            parts = [p.replace(": ", ":", 1) for p in parts]
        if rng.random() < 0.04:
            parts = [p.replace(": ", "： ", 1) for p in parts]
        body = "\n".join(parts)
        if lower_labels:
            body = body.replace("Route Name", "route name").replace("Departure Stop", "departure stop") \
                .replace("Arrival Stop", "arrival stop")
        secs.append(body)
    text = sep.join(secs)
    r = rng.random()
    if r < 0.5:
        text += "\n"
    elif r < 0.6:
        text += "\n--"
    elif r < 0.65:
        text = "Let me think.\n" + text
    elif r < 0.7:
        text = "<think>Route Name: Line 0\nDeparture Stop: X\nArrival Stop: Y\n</think>" + text
    elif r < 0.75:
        text = "The answer is:\n" + text + "\nThat is the route."
    if crlf:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.05:
        text = text[: rng.randrange(len(text) + 1)]
    return text


def plus_text(kind: str, gold: int, rng: random.Random, c: City) -> str:
    if kind.startswith("TorF"):
        ok = "yes" if gold == 1 else "no"
        value = ok if rng.random() < 0.6 else ("no" if ok == "yes" else "yes")
        value = rng.choice([value, value.upper(), value.capitalize(), f"${value}$", f" {value} ", f"\\text{{{value}}}",
                            f"{value}.", f"**{value}**", "true", "是", f"{value}, they are"])
    elif kind == "Counting1":
        letter = "ABCD"[gold] if rng.random() < 0.6 else rng.choice("ABCDE")
        value = rng.choice([letter, letter.lower(), f"${letter}$", f"({letter})", f"{letter}.", f"\\text{{{letter}}}",
                            f"{letter}) 5", f"Option {letter}", str(gold)])
    else:
        n = gold if rng.random() < 0.6 else gold + rng.choice([-1, 1, 2])
        value = rng.choice([str(n), f"${n}$", f"{n}.0", f" {n} ", f"{n} lines", "three", f"\\text{{{n}}}", f"{n}.",
                            f"0{n}", f"+{n}", f"x = {n}", f"{n}/1", f"\\frac{{{n}}}{{1}}", f"{n}\\%", "∞", "inf",
                            "1e3", f"{n}^\\circ", f"{{{n}}}"])
    r = rng.random()
    if r < 0.55:
        text = rng.choice(["Reasoning here. ", "", "Looking at the map, "]) + f"\\boxed{{{value}}}"
    elif r < 0.62:
        text = f"$\\boxed{{{value}}}$"
    elif r < 0.7:
        text = f"\\boxed{{wrong}} then \\boxed{{{value}}}"
    elif r < 0.78:
        text = rng.choice(["The answer is ", "the answer is ", "The final answer is ", "the correct answer is ",
                           "The answer should be "]) + value + rng.choice([".", "", "\nMore text.", ". Done."])
    elif r < 0.83:
        text = value
    elif r < 0.86:
        text = f"\\boxed{{{value}"
    elif r < 0.89:
        text = f"\\fbox{{{value}}}"
    else:
        text = f"answer: {value}"
    if kind == "Counting1" and rng.random() < 0.4:
        stops = rng.sample(list(c.on), min(len(c.on), rng.randrange(0, 5)))
        text = "Stops: [" + ", ".join(stops) + "]\n" + text
    if rng.random() < 0.05:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.04:
        text = text[: rng.randrange(len(text) + 1)]
    return text


GARBAGE = ["", " ", "\n", "--", "-- -- --", "\\boxed{", "\\boxed{}", "}}}{{{", "Route Name:", "Arrival Stop:",
           "Route Name: \nDeparture Stop: \nArrival Stop: ", "$$", "\x00", "\ud800", "🚇" * 50,
           "Route Name: Line 1\nDeparture Stop: a\nArrival Stop: b" * 3]


def adversarial(rng: random.Random) -> str:
    unit = rng.choice(["\\boxed{", "oxed{", "--", "Route Name: ", "Arrival Stop:", "{", "}", "$", "Stops: [", "(",
                       "the answer is ", "a" * 7, "站"])
    return unit * rng.choice([10, 100, 1000, 4000])


# ----------------------------------------------------------------------------------------------------- rows
def train_row(c: City, kind: str, rng: random.Random, s1: str, s2: str, gold: int, q: int) -> dict[str, Any]:
    return {"answer": gold, "type": kind, "difficulty_city": rng.choice(LEVELS), "city_line_count": len(c.lines),
            "city_transfer_count": sum(1 for v in c.on.values() if len(v) > 1), "question_transfer_count": q,
            "country": c.country, "city": c.city, "station_1": s1, "station_2": s2, "json": str(c.path)}


def reward_cases(cities: list[City], n: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """(response, ReasonMap-Train row) pairs: planning and every Plus type, over every city."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        c = cities[k % len(cities)]
        kind = rng.choice(("planning",) * 5 + PLUS)
        if kind == "planning":
            legs = random_route(c, rng, rng.choice([1, 1, 2, 2, 3]))
            s1, s2 = legs[0][1], legs[-1][2]
            if rng.random() < 0.1:
                s1 = vary_station(s1, rng, c)
            q = max(0, len(legs) - 1 + rng.choice([0, 0, 0, 1, -1]))
            r = rng.random()
            if r < 0.85:
                text = route_text(c, legs, rng)
            elif r < 0.93:
                text = rng.choice(GARBAGE)
            else:
                text = adversarial(rng)
            row = train_row(c, kind, rng, s1, s2, -1, q)
        else:
            st = list(c.on)
            s1, s2 = rng.choice(st), rng.choice(st)
            gold = {"TorF1": rng.randrange(2), "TorF2": rng.randrange(2), "Counting1": rng.randrange(4),
                    "Counting2": rng.randrange(1, 5), "Counting3": len(c.lines)}[kind]
            r = rng.random()
            text = plus_text(kind, gold, rng, c) if r < 0.9 else (rng.choice(GARBAGE) if r < 0.96 else
                                                                  adversarial(rng))
            row = train_row(c, kind, rng, s1, s2, gold, 0)
        out.append((text, row))
    return out


def reasonmap_sample(c: City, rng: random.Random) -> tuple[dict[str, Any], list[Leg]]:
    legs = random_route(c, rng, rng.choice([1, 1, 2, 2, 3]))
    plans = {}
    for p in range(rng.choice([1, 1, 2, 3])):
        alt = legs if p == 0 else random_route(c, rng, len(legs))
        if p and rng.random() < 0.5:
            alt = [(ln, legs[0][1] if i == 0 else d, legs[-1][2] if i == len(alt) - 1 else a)
                   for i, (ln, d, a) in enumerate(alt)]
        plan = []
        for leg in alt:
            vs = via(c, leg)
            n = len(vs) if rng.random() < 0.9 else len(vs) + 1
            plan.append({"route_name": app_line_name(c, leg[0], rng),
                         "departure_stop": suffixless(leg[1]) if rng.random() < 0.85 else leg[1],
                         "arrival_stop": suffixless(leg[2]) if rng.random() < 0.85 else leg[2],
                         "via_stops": [suffixless(v) if rng.random() < 0.85 else v for v in vs],
                         "num_via_stops": n})
        plans[str(p + 1)] = plan
    if rng.random() < 0.03:
        plans[str(len(plans) + 1)] = []  # main.py scores an empty plan's endpoints
    long_template = rng.choice(["long1", "long2"])
    s1, s2 = legs[0][1], legs[-1][2]
    sample = {"country": c.country, "city": c.city, "json": c.raw, "station_1": s1, "station_2": s2,
              "routes": plans, "difficulty_city": rng.choice(LEVELS), "difficulty_question": rng.choice(LEVELS),
              "question_short": f"from {s1} to {s2}",
              "question_long": "... Number of Via Stops: ..." if long_template == "long1" else "... Via Stops: ...",
              "question_transfer_count": len(legs) - 1}
    return sample, legs


def eval_cases(cities: list[City], n: int, seed: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(template, answer, FSCCS/ReasonMap row) triples; template ``short``, ``long1`` or ``long2``."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        c = cities[k % len(cities)]
        sample, legs = reasonmap_sample(c, rng)
        long_template = "long1" if "Number of Via Stops:" in sample["question_long"] else "long2"
        template = rng.choice(["short", long_template])
        r = rng.random()
        if r < 0.8:
            use = legs if rng.random() < 0.8 else random_route(c, rng, rng.choice([1, 2, 3]))
            text = route_text(c, use, rng, template)
        elif r < 0.9:
            text = rng.choice(GARBAGE)
        else:
            text = adversarial(rng)
        out.append((template, text, sample))
    return out
