"""Size regressions of the default models fail here (STYLE habit 10)."""
import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GROWTH_ALLOWED = 1.02  # converter and runtime updates may move a few bytes; more is a regression


def _budget_module():
    spec = importlib.util.spec_from_file_location("flash_budget", ROOT / "benchmarks" / "flash_budget.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured():
    return _budget_module().default_ledgers()


@pytest.mark.parametrize("model", ["hypertinypw", "tiny_separable_cnn"])
def test_default_models_stay_within_the_checked_in_ledger(model, measured):
    budget = json.loads((ROOT / "docs" / "flash_budget.json").read_text())[model]
    over = {key: (measured[model][key], limit) for key, limit in budget.items()
            if measured[model][key] > limit * GROWTH_ALLOWED}
    assert not over, f"{model} grew past docs/flash_budget.json (measured, budget): {over}"
