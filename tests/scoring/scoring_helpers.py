"""Helpers for the scoring tests: a small metro (three lines, transfers at B, D and G), answers and rows."""

from __future__ import annotations

SCORING_LINES = {
    "Line 1": ["A Station", "B Station (Transfer Station)", "C Station", "D Station (Transfer Station)"],
    "Line 2": ["E Station", "B Station (Transfer Station)", "F Station", "G Station (Transfer Station)"],
    "Line 3": ["H Station", "G Station (Transfer Station)", "I Station", "D Station (Transfer Station)"],
}


def answer(*legs: tuple[str, str, str]) -> str:
    """A short-template route answer from (line, departure, arrival) legs."""
    return "\n--\n".join(f"Route Name: {ln}\nDeparture Stop: {d}\nArrival Stop: {a}" for ln, d, a in legs)


def planning_row(s1: str, s2: str, transfers: int, difficulty: str = "easy", **extra) -> dict:
    row = {"type": "planning", "answer": -1, "station_1": s1, "station_2": s2, "difficulty_city": difficulty,
           "question_transfer_count": transfers, "json": SCORING_LINES, "country": "testland", "city": "abc"}
    row.update(extra)
    return row

