"""Shared fixtures. Tests that need ``../shared/data`` skip cleanly when it is absent (a fresh clone elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest

from toy_city import TOY_BRANCH_ARMS, TOY_LINES

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "reasonmap"


@pytest.fixture(scope="session")
def reasonmap_data() -> Path:
    """Root of the real ReasonMap sample data (``stations/`` and ``maps/``); skips the test when absent."""
    if not (SHARED_DATA / "stations").is_dir():
        pytest.skip(f"real ReasonMap data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture()
def toy_network():
    from rewardmap.metro import Network

    return Network.from_lines(TOY_LINES, city="toyville", country="testland", branch_arms=TOY_BRANCH_ARMS)
