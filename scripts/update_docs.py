"""Write the README's command-line synopsis from the CLI's own parser (vetting.cli.synopsis)::

    python scripts/update_docs.py

tests/test_docs.py fails when the README and the parser disagree."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from vetting.cli import synopsis  # noqa: E402

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- synopsis:[^\n]*-->\n```sh\n)(.*?)(\n```\n<!-- end synopsis -->)", re.DOTALL)


def readme_synopsis(text: str) -> str:
    """The synopsis block of the README's text."""
    found = BLOCK.search(text)
    if found is None:
        raise SystemExit("README.md has no '<!-- synopsis: ... -->' block")
    return found.group(2)


def main() -> None:
    text = README.read_text(encoding="utf-8")
    readme_synopsis(text)
    README.write_text(BLOCK.sub(lambda m: m.group(1) + synopsis() + m.group(3), text), encoding="utf-8")
    print(f"wrote the command synopsis into {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
