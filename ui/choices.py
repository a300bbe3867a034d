"""Choices offered by more than one screen, and how they read."""

PRICES = ["any", 300, 400, 500, 600, 700, 800, 1000, 1500]


def price_label(p) -> str:
    """'any' or '$1,000'."""
    return p if p == "any" else f"${p:,}"


def condition_label(c: str) -> str:
    """'treatment_resistant_depression' -> 'Treatment resistant depression'."""
    return c.replace("_", " ").capitalize()
