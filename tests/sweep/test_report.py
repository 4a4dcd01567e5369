"""Pareto fronts, the smallest-match summary and the report files, from hand-made results."""
import csv
import json

from tpw_eval.sweep import report


def metrics(f1, ci):
    metric = {"value": f1, "ci_low": f1 - ci, "ci_high": f1 + ci}
    return {"macro_f1": metric, "accuracy": metric, "balanced_accuracy": metric, "auc": None}


def result(key, model, f1, baked, boot, ci=0.05, dataset="ptbxl", boot_f1=None, counted=None):
    """A result as ``runs.execute`` writes it: ``boot`` shipped bytes, ``counted`` the ledger's count."""
    return {"key": key, "run": {"dataset": dataset, "model": model, "config": {"width": 8}, "bits": 8,
                                "epochs": 1, "compress": None},
            "metrics": metrics(f1, ci), "boot_metrics": None if boot_f1 is None else metrics(boot_f1, ci),
            "parameters": 100, "seconds": 1.0, "converter_bytes": baked + 5_000,
            "boot_file": {"bytes": boot, "synthesized": model == "hypertinypw", "decode_tensors": [],
                          "mismatched_windows": 0},
            "schedules": {"baked": {"flash_bytes": baked, "sram_bytes": 10},
                          "boot": {"flash_bytes": boot, "sram_bytes": 20, "counted_flash_bytes": counted or boot},
                          "lazy": {"flash_bytes": boot, "sram_bytes": 15, "counted_flash_bytes": counted or boot}}}


RESULTS = [result("a", "tiny_separable_cnn", 0.80, 20_000, 20_000),
           result("b", "ternary_cnn", 0.70, 12_000, 9_000),
           result("c", "hypertinypw", 0.81, 30_000, 14_000, counted=12_000),
           result("d", "hypertinypw", 0.78, 16_000, 11_000),
           result("e", "hypertinypw", 0.90, 40_000, 25_000)]


def test_pareto_front_keeps_only_undominated_points():
    points = [(10, 0.5), (20, 0.4), (20, 0.7), (30, 0.6), (40, 0.9), (5, 0.1)]
    assert report.pareto_front(points) == [(5, 0.1), (10, 0.5), (20, 0.7), (40, 0.9)]
    assert report.pareto_front([]) == []


def test_smallest_generated_model_reaching_the_best_comparator():
    summary = report.smallest_matching(RESULTS)["ptbxl"]
    assert summary["best_comparator"]["key"] == "a"
    # c (0.81, boot file 14 kB) beats e (0.90, 25 kB); d (0.78) is only within the CI (>= 0.75).
    assert [(r["key"], s) for r, s in (summary["match"], summary["within_ci"])] == [("c", "boot"), ("d", "boot")]
    assert report.smallest_matching([r for r in RESULTS if r["key"] in "abd"])["ptbxl"]["match"] is None


def test_a_boot_file_is_scored_by_its_own_macro_f1():
    # c's boot file (device-grid bake) scores 0.79, below the comparator: its baked file (30 kB) is the match.
    results = [*RESULTS[:2], result("c", "hypertinypw", 0.81, 30_000, 14_000, boot_f1=0.79)]
    match = report.smallest_matching(results)["ptbxl"]["match"]
    assert (match[0]["key"], match[1], report.flash(*match)) == ("c", "baked", 30_000)
    assert [report.score(results[2], s) for s in report.SCHEDULES] == [0.81, 0.79, 0.79]


def test_reports_hold_every_result(tmp_path):
    report.write_reports(RESULTS, tmp_path, "--preset smoke")
    rows = list(csv.DictReader((tmp_path / "results.csv").open()))
    assert [r["key"] for r in rows] == list("abcde")
    assert [int(r["boot_flash_bytes"]) for r in rows] == [20_000, 9_000, 14_000, 11_000, 25_000]
    assert [int(r["boot_counted_flash_bytes"]) for r in rows] == [20_000, 9_000, 12_000, 11_000, 25_000]
    assert rows[0]["auc"] == "" and float(rows[2]["macro_f1_ci_low"]) == 0.81 - 0.05
    assert json.loads((tmp_path / "results.json").read_text()) == RESULTS
    md = (tmp_path / "results.md").read_text()
    assert "reaches it: `c` width=8 bits=8, its boot file: macro-F1 0.810, 14,000 B" in md
    assert "reaches its CI lower bound: `d`" in md
    # shipped baked, boot; counted; converter; SRAM boot, lazy
    assert "| 30,000 | 14,000 | 12,000 | 35,000 | 20 | 15 |" in md
    assert "tpw-sweep --preset smoke --only KEY" in md
    assert (tmp_path / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left
