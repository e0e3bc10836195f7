"""The settings: every one is documented in the README's table, with the default the code uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.config import ENV_FILE_VARIABLE, Settings

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| (`PLAYGROUND_[A-Z_]+`(?: / `PLAYGROUND_[A-Z_]+`)*) \| ([^|]+) \|", re.MULTILINE)


def _readme_rows() -> dict[str, str]:
    """Variable name → the README's default column (a "a / b" row gives each its own part)."""
    rows: dict[str, str] = {}
    for names, defaults in ROW.findall(README.read_text(encoding="utf-8")):
        variables = re.findall(r"PLAYGROUND_[A-Z_]+", names)
        values = [value.strip() for value in defaults.split(" / ")] if len(variables) > 1 else [defaults.strip()]
        assert len(values) == len(variables), names
        rows.update(zip(variables, values, strict=True))
    return rows


def test_readme_documents_exactly_the_settings() -> None:
    documented = set(_readme_rows())
    fields = {f"PLAYGROUND_{name.upper()}" for name in Settings.model_fields}
    assert documented == fields | {ENV_FILE_VARIABLE}


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_readme_default_is_the_code_default(name: str) -> None:
    documented = _readme_rows()[f"PLAYGROUND_{name.upper()}"]
    default = Settings.model_fields[name].default
    if default is None:
        assert documented == "unset"
    elif isinstance(default, str):
        assert documented == default
    elif isinstance(default, bool):
        assert documented == str(default).lower()
    elif isinstance(default, list):  # a comma-separated list in the environment
        assert documented == ",".join(default)
    else:
        assert float(documented) == float(default)
