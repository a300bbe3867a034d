"""Custom weights files (TOML or JSON): criterion id -> weight."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path


def read_weights(path: str | Path) -> dict[str, float]:
    """Read `{criterion_id: weight}` from a .toml or .json file, flat or under a `weights` table.

    Raises ValueError with one sentence when the file cannot be used.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"cannot read weights file {p}: {getattr(err, 'strerror', None) or err}") from None
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        kind = "JSON" if p.suffix.lower() == ".json" else "TOML"
        raise ValueError(f"weights file {p} is not valid {kind}: {err}") from None
    if isinstance(data, dict) and isinstance(data.get("weights"), dict):
        data = data["weights"]
    if not isinstance(data, dict):
        raise ValueError(f"weights file {p} must map criterion ids to numbers")
    out: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"weights file {p}: the weight of {key} must be a number, not {value!r}")
        out[str(key)] = float(value)
    return out
