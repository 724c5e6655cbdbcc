"""Fixtures of the differential tests: the released code as an oracle, and the cities the corpus is built from."""

from __future__ import annotations

import pytest
from released_oracle import SHARED_DATA, EvalOracle, load_reward_oracle, reference_available


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/reference/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.reference)


@pytest.fixture(scope="session")
def oracle_dir(tmp_path_factory):
    if not reference_available():
        pytest.skip("the released code is not at ../shared/reference")
    try:
        import latex2sympy2  # noqa: F401  (imported by the released reasonmap_utils.py)
        import torch  # noqa: F401  (imported by the released reward manager)
    except ImportError as exc:
        pytest.skip(f"the released reward needs {exc.name} (pip install -e '.[train,dev]')")
    return tmp_path_factory.mktemp("oracle")


@pytest.fixture(scope="session")
def reward_oracle(oracle_dir):
    return load_reward_oracle(oracle_dir)


@pytest.fixture(scope="session")
def eval_oracle(oracle_dir):
    return EvalOracle(oracle_dir)


@pytest.fixture(scope="session")
def cities(oracle_dir):
    from fidelity_corpus import load_cities, synthetic_cities

    real = load_cities(SHARED_DATA / "stations") if (SHARED_DATA / "stations").is_dir() else []
    return real + synthetic_cities(oracle_dir)
