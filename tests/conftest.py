"""Fixtures every test area shares: the bad-input cases in ../shared/cases and the shared data
in ../shared/data, each skipping a test with a reason when its folder is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_lookup(variable: str, folder: str, what: str):
    """``lookup(name) -> Path``: ``name`` under ``$variable`` or ../shared/``folder``, skipping
    the test with a reason naming both when it is not there."""
    root = Path(os.environ.get(variable) or REPO.parent / "shared" / folder)

    def lookup(name: str) -> Path:
        path = root / name
        if not path.is_dir():
            pytest.skip(f"shared {what} {name} not found under {root}: set {variable} "
                        f"or place the shared {folder} at ../shared/{folder}")
        return path

    return lookup


@pytest.fixture(scope="session")
def case():
    """``case(name) -> Path``: a folder of ``$TPW_SHARED_CASES`` or ../shared/cases (inputs tpw
    once mishandled, each one kind of fault)."""
    return _shared_lookup("TPW_SHARED_CASES", "cases", "case")


@pytest.fixture(scope="session")
def shared_folder():
    """``shared_folder(name) -> Path``: a dataset folder of ``$TPW_SHARED_DATA`` or ../shared/data."""
    return _shared_lookup("TPW_SHARED_DATA", "data", "data")
