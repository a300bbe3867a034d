"""Fictional ketamine-therapy clinics in the clinics-CSV format: the sample data, test and benchmark files.

    from fictional import generate, generate_evidence, write_csv
    clinics = generate(1000, seed=7)
    write_csv(clinics, "/tmp/clinics.csv")
    write_csv(generate_evidence(clinics, seed=7), "/tmp/evidence.csv")
"""

from .generator import (
    COLUMNS,
    DEFAULT_TODAY,
    EVIDENCE_NAMES,
    SAMPLE_ROWS,
    SAMPLE_SEED,
    criteria_columns,
    critical_columns,
    generate,
    generate_evidence,
    main,
    write_csv,
)

__all__ = ["COLUMNS", "DEFAULT_TODAY", "EVIDENCE_NAMES", "SAMPLE_ROWS", "SAMPLE_SEED", "criteria_columns",
           "critical_columns", "generate", "generate_evidence", "main", "write_csv"]
