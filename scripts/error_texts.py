"""Regenerate ``app/static/js/shared/error_texts.js`` from docs/errors.md's tables.

docs/errors.md is the one place an error code's English and Korean texts are written; the page
needs them as dictionary entries ``err.<code>`` (``shared/errors.js`` renders them). Run after
adding or changing a code in docs/errors.md::

    .venv/bin/python scripts/error_texts.py

``tests/test_static_errors.py`` fails when the two disagree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"
TARGET = ROOT / "app" / "static" / "js" / "shared" / "error_texts.js"

#: Entries the page's error lines need besides the codes (how a field of one run is named).
PAGE_TEXTS: dict[str, tuple[str, str]] = {
    "err.more": ("and {n} more", "외 {n}건"),
    "err.in_run": ("{field} ({run})", "{field} ({run})"),
    "err.run_number": ("run {n}", "{n}번 실행"),
    "err.layer": ("{field}, layer {layer}", "{field}, {layer}번째 층"),
}


def documented_codes(text: str) -> dict[str, tuple[str, str]]:
    """The tables' rows ``| `code` | params | en | ko |`` as code → (en, ko); ``\\|`` is a literal bar."""
    out = {}
    for line in text.splitlines():
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 4 and re.fullmatch(r"`[a-z0-9_.]+`", cells[0]):
            out[cells[0].strip("`")] = (cells[2], cells[3])
    return out


def entries() -> dict[str, tuple[str, str]]:
    """Every dictionary entry of error_texts.js: the page texts, then ``err.<code>`` per code."""
    codes = documented_codes(DOC.read_text(encoding="utf-8"))
    return {**PAGE_TEXTS, **{f"err.{code}": texts for code, texts in codes.items()}}


def render() -> str:
    """The text of error_texts.js."""

    def block(i: int) -> str:
        return "\n".join(
            f"    {json.dumps(key, ensure_ascii=False)}: {json.dumps(texts[i], ensure_ascii=False)},"
            for key, texts in entries().items()
        )

    return f"""/**
 * error_texts.js — the text of every API error code, in English and Korean (`err.<code>`), with
 * "{{name}}" placeholders for the item's params ("{{msg}}" = the server's own message).
 * Generated from docs/errors.md by scripts/error_texts.py (do not edit by hand;
 * tests/test_static_errors.py checks they agree); shared/dictionary.js merges it, shared/errors.js
 * renders it.
 */
export default {{
  en: {{
{block(0)}
  }},
  ko: {{
{block(1)}
  }},
}};
"""


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"{TARGET.relative_to(ROOT)}: {len(entries())} entries")
