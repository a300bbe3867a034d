"""Choices offered by more than one screen, and how they read."""

from vetting.contract import CONDITION_LABELS

PRICES = ["any", 300, 400, 500, 600, 700, 800, 1000, 1500]


def price_label(p) -> str:
    """'any' or '$1,000'."""
    return p if p == "any" else f"${p:,}"


def condition_label(c: str) -> str:
    """A condition's name as people write it ('ptsd' -> 'PTSD'; vetting.contract.CONDITION_LABELS)."""
    return CONDITION_LABELS.get(c, c.replace("_", " ").capitalize())
