"""Fictional ketamine-therapy clinics in the clinics-CSV format: the sample data, test and benchmark files.

    from fictional import generate, write_csv
    write_csv(generate(1000, seed=7), "/tmp/clinics.csv")
"""

from .generator import COLUMNS, DEFAULT_TODAY, SAMPLE_ROWS, SAMPLE_SEED, critical_columns, generate, main, write_csv

__all__ = ["COLUMNS", "DEFAULT_TODAY", "SAMPLE_ROWS", "SAMPLE_SEED", "critical_columns", "generate", "main",
           "write_csv"]
