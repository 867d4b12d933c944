"""The REPORT stage: the paper's figures and tables for one experiment run, as PNG, CSV and one HTML page.

``write_report(run_dir)`` reads what the experiment runner wrote (spec.yaml,
datasets.csv, results.csv, the record files and training logs they name) and
draws every figure the run has the data for; see docs/reports.md. matplotlib,
pandas and scikit-learn are imported only while a report is being built.
"""

from synthdiv.reports.build import write_report

__all__ = ["write_report"]
