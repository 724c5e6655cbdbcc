"""Fixtures for training tests: the tiny offline policy (built once per session)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_policy_dir(tmp_path_factory):
    from rewardmap.models.tiny import build_tiny_qwen25vl

    return build_tiny_qwen25vl(tmp_path_factory.mktemp("tiny") / "tiny-qwen25vl")
