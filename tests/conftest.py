"""Shared fixtures: a TestClient over the real app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """A TestClient for the whole app (lifespan run once per session)."""
    from app.main import app

    with TestClient(app) as c:
        yield c
