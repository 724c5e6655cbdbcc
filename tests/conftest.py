"""Shared fixtures. Tests that need ``../shared/data`` skip cleanly when it is absent (a fresh clone elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "reasonmap"


@pytest.fixture(scope="session")
def reasonmap_data() -> Path:
    """Root of the real ReasonMap sample data (``stations/`` and ``maps/``); skips the test when absent."""
    if not (SHARED_DATA / "stations").is_dir():
        pytest.skip(f"real ReasonMap data not found at {SHARED_DATA}")
    return SHARED_DATA


#: A small hand-made network with a transfer hub, a branch, a loop and a line-only station.
TOY_LINES = {
    "Line 1": ["Alpha Station", "Bravo Station (Transfer Station)", "Charlie Station", "Delta Station (Transfer Station)",
               "Echo Station"],
    "Line 2": ["Foxtrot Station", "Bravo Station (Transfer Station)", "Golf Station (Branch-starting Station)",
               "Hotel Station", "India Station", "Juliet Station", "Kilo Station"],
    "Circle Line": ["Delta Station (Transfer Station)", "Lima Station", "Mike Station", "Juliet Station",
                    "November Station", "Delta Station (Transfer Station)"],
}
#: Line 2 forks at Golf: one arm Hotel → India, the other arm Juliet → Kilo (appended later in the list).
TOY_BRANCH_ARMS = {"Line 2": "Juliet Station"}


@pytest.fixture()
def toy_network():
    from rewardmap.metro import Network

    return Network.from_lines(TOY_LINES, city="toyville", country="testland", branch_arms=TOY_BRANCH_ARMS)
