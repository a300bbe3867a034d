"""`python -m fictional --rows N --out FILE [--evidence-out PATH]`: write N fictional clinics (and their evidence)."""

from .generator import main

main()
