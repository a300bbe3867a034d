"""Custom weights: a preset, a multiplier per category and weights per criterion; read and written as
TOML or JSON. The referral builder and the CLI's `--weights` share this one format:

    preset = "safety_first"        # optional: start from a preset in checklist.toml
    [categories]                   # optional: multiply every weight in a category
    safety = 2.0
    [weights]                      # optional: a criterion's own weight (before the multiplier)
    acls_on_site = 6

A file holding only `criterion_id = number` lines is read as `[weights]`.
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .checklist import Checklist
from .textfile import regular_file


@dataclass(frozen=True)
class Weights:
    """How to weigh the checklist: preset id, category multipliers, per-criterion weights."""

    preset: str | None = None
    categories: dict[str, float] = field(default_factory=dict)
    criteria: dict[str, float] = field(default_factory=dict)

    def multipliers(self, checklist: Checklist) -> dict[str, float]:
        """Category multipliers: the preset's, overridden by this object's; 1 where unset."""
        out = dict.fromkeys(checklist.categories, 1.0)
        if self.preset is not None:
            if self.preset not in checklist.presets:
                raise ValueError(f"unknown preset {self.preset!r} (known: {', '.join(checklist.presets)})")
            out.update(checklist.presets[self.preset].categories)
        for cat, value in self.categories.items():
            if cat not in out:
                raise ValueError(f"unknown category {cat!r} in weights (known: {', '.join(checklist.categories)})")
            out[cat] = check_weight(f"multiplier of {cat}", value)
        return out

    def resolve(self, checklist: Checklist) -> dict[str, float]:
        """Effective weight per criterion id: (its own weight or the override) x its category's multiplier."""
        own = validated(checklist, self.criteria)
        mult = self.multipliers(checklist)
        return validated(checklist, {c.id: own[c.id] * mult[c.category] for c in checklist.criteria}).to_dict()

    def describe(self, checklist: Checklist) -> str:
        """One line saying which weights are in effect."""
        name = checklist.presets[self.preset].label if self.preset in checklist.presets else "Balanced"
        changed = {c: m for c, m in self.multipliers(checklist).items() if m != 1.0}
        parts = [f"{checklist.categories[c]} ×{m:g}" for c, m in changed.items()]
        if self.criteria:
            parts.append(f"{len(self.criteria)} criterion weight(s) set")
        return f"{name}" + (f": {', '.join(parts)}" if parts else ": the checklist's own weights")


MAX_WEIGHT = 100.0  # a criterion's weight, or a category's multiplier: enough to make one dominate, and
# small enough that sums of weights stay exact in the scorer's float32 arithmetic


def check_weight(what: str, value: object) -> float:
    """A weight or multiplier as a float, or ValueError: it must be a number from 0 to MAX_WEIGHT."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ValueError(f"the {what} must be a number >= 0, not {value!r}")
    if value > MAX_WEIGHT:
        raise ValueError(f"the {what} must be at most {MAX_WEIGHT:g}, not {value!r}")
    return float(value)


def validated(checklist: Checklist, weights: Mapping[str, float] | None = None) -> pd.Series:
    """The checklist's weights overridden by `weights` (criterion id -> weight), by criterion id: every id
    known, every weight a number >= 0, and at least one above zero. The one check of a set of weights."""
    w = checklist.weights()
    if weights:
        unknown = sorted(set(weights) - set(w.index))
        if unknown:
            more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
            raise ValueError(f"unknown criterion id(s) in weights: {', '.join(unknown[:5])}{more}")
        for cid, value in weights.items():
            w[cid] = check_weight(f"weight of {cid}", value)
    if not w.sum() > 0:
        raise ValueError("at least one criterion needs a weight above zero")
    return w


def shares(weights: Mapping[str, float]) -> pd.Series:
    """Effective weights as shares of the total (they sum to 1)."""
    s = pd.Series(weights, dtype="float64")
    return s / s.sum()


MAX_ENTRIES, MAX_NAME_CHARS = 200, 100  # a weights file's bounds: far above what any checklist needs


def _short(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def from_mapping(data: object, where: str = "weights") -> Weights:
    """A Weights from parsed TOML/JSON; raises ValueError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} must map names to numbers")
    if not ({"preset", "categories", "weights"} & set(data)):
        data = {"weights": data}  # the flat form: criterion_id = weight
    preset = data.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise ValueError(f"{where}: preset must be a name")
    if preset is not None and len(preset) > MAX_NAME_CHARS:
        raise ValueError(f"{where}: the preset's name is longer than any preset's")
    tables = {}
    for key in ("categories", "weights"):
        table = data.get(key, {})
        if not isinstance(table, dict):
            raise ValueError(f"{where}: [{key}] must map names to numbers")
        if len(table) > MAX_ENTRIES:
            raise ValueError(f"{where}: [{key}] has {len(table):,} entries; a checklist has far fewer")
        for name, value in table.items():
            if len(name) > MAX_NAME_CHARS:
                raise ValueError(f"{where}: a name in [{key}] is longer than any criterion's or category's")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{where}: the weight of {_short(name)} must be a number, not {_short(value)}")
        tables[key] = {str(k): float(v) for k, v in table.items()}
    return Weights(preset, tables["categories"], tables["weights"])


def read_weights(path: str | Path) -> Weights:
    """Read a weights file (.json, else TOML). Raises ValueError with one sentence when it cannot be used."""
    p = Path(path)
    regular_file(p, limit=1 << 20)  # UnreadableFile (a ValueError) for a device, a FIFO or over 1 MB
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read weights file {p}: {getattr(err, 'strerror', None) or err}") from None
    return parse_weights(text, json_format=p.suffix.lower() == ".json", where=f"weights file {p}")


def parse_weights(text: str, json_format: bool = False, where: str = "weights") -> Weights:
    """Parse weights from TOML or JSON text."""
    try:
        data = json.loads(text) if json_format else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{where} is not valid {'JSON' if json_format else 'TOML'}: {err}") from None
    return from_mapping(data, where)


def to_toml(weights: Weights) -> str:
    """The weights as a TOML file's text (readable back by read_weights and the CLI)."""
    lines = ["# Ketamine-clinic vetting weights: python -m vetting score PATH --weights THIS_FILE"]
    if weights.preset:
        lines.append(f'preset = "{weights.preset}"')
    for table, values in (("categories", weights.categories), ("weights", weights.criteria)):
        if values:
            lines += ["", f"[{table}]"] + [f"{k} = {v:g}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def to_json(weights: Weights) -> str:
    """The weights as JSON text."""
    data: dict[str, object] = {}
    if weights.preset:
        data["preset"] = weights.preset
    data["categories"], data["weights"] = weights.categories, weights.criteria
    return json.dumps(data, indent=2) + "\n"


def write_weights(weights: Weights, path: str | Path) -> None:
    """Write weights as JSON (a .json path) or TOML."""
    p = Path(path)
    p.write_text(to_json(weights) if p.suffix.lower() == ".json" else to_toml(weights), encoding="utf-8")
