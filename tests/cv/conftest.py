"""Fixtures for the cross-validation tests: the shared real data, one dataset folder at a time."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def shared_folder():
    """``shared_folder(name) -> Path``: ``name`` under ``$TPW_SHARED_DATA`` or ../shared/data, skipping
    the test with a reason when that folder is absent."""
    root = Path(os.environ.get("TPW_SHARED_DATA") or REPO.parent / "shared" / "data")

    def folder(name: str) -> Path:
        path = root / name
        if not path.is_dir():
            pytest.skip(f"shared data {name} not found under {root}: set TPW_SHARED_DATA "
                        "or place the shared data at ../shared/data")
        return path

    return folder
