"""`python -m fictional --rows N --out FILE`: write N fictional clinics."""

from .generator import main

main()
