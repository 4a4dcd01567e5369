"""The walkthrough notebook executes top to bottom and shows the ledger, the metrics and the front."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (dev extra)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (dev extra)")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (dev extra)")

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "walkthrough.ipynb"


def outputs_text(cell) -> str:
    return "".join(o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
                   for o in cell.get("outputs", []))


def test_walkthrough_runs(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    text = "\n".join(outputs_text(c) for c in code)
    assert "| schedule | parameter bytes | flash bytes | SRAM bytes |" in text  # the ledger
    assert "| macro_f1 |" in text  # the INT8 evaluation
    assert "## Smallest generated file reaching the best comparator" in text  # the sweep summary
    assert "image/png" in code[-1].outputs[0]["data"]  # the Pareto plot
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
