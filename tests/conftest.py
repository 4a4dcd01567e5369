"""Fixtures every test area shares: the bad-input cases in ../shared/cases."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def case():
    """``case(name) -> Path``: a folder of ``$TPW_SHARED_CASES`` or ../shared/cases (inputs tpw
    once mishandled, each one kind of fault), skipping the test with a reason when it is absent."""
    root = Path(os.environ.get("TPW_SHARED_CASES") or REPO.parent / "shared" / "cases")

    def folder(name: str) -> Path:
        path = root / name
        if not path.is_dir():
            pytest.skip(f"shared case {name} not found under {root}: set TPW_SHARED_CASES "
                        "or place the cases at ../shared/cases")
        return path

    return folder
