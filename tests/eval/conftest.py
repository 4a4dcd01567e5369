"""The shared bad-input cases of issue 10, read where they live (never copied here)."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def case():
    """``case(name) -> Path``: a folder of ``$TPW_SHARED_CASES`` or ../shared/cases, skipping
    the test with a reason when it is absent."""
    root = Path(os.environ.get("TPW_SHARED_CASES") or REPO.parent / "shared" / "cases")

    def folder(name: str) -> Path:
        path = root / name
        if not path.is_dir():
            pytest.skip(f"shared case {name} not found under {root}: set TPW_SHARED_CASES "
                        "or place the cases at ../shared/cases")
        return path

    return folder
