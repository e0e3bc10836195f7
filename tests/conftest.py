"""Shared set-up: tests see the default settings, whatever the caller's environment; a TestClient.

Before any settings are built or NumPy is loaded, this file

- removes every ``PLAYGROUND_*`` variable from the environment except those in :data:`KEPT`
  (set on purpose by the test infrastructure, e.g. ``.ci/run``),
- points ``PLAYGROUND_ENV_FILE`` at ``/dev/null`` so no ``.env`` is read (``app/config.py``),
- points ``PLAYGROUND_DATA_DIR`` at a fresh temporary folder, so uploads made by tests are stored
  there and a developer's own uploads never appear in ``GET /api/datasets``,
- defaults the BLAS thread counts to one, as the server does (``app/cli.py``).

A test that needs other limits builds ``Settings(...)`` with keyword arguments or sets variables
with ``monkeypatch``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.cli import limit_blas_threads
from app.config import ENV_FILE_VARIABLE

SETTINGS_PREFIX = "PLAYGROUND_"

KEPT = frozenset({"PLAYGROUND_REQUIRE_BROWSER"})
"""Variables of the test infrastructure itself (``tests/browser/conftest.py`` reads this one)."""


def isolate_environment() -> None:
    """Remove the caller's ``PLAYGROUND_*`` settings from ``os.environ`` and disable the env file."""
    for name in [name for name in os.environ if name.startswith(SETTINGS_PREFIX) and name not in KEPT]:
        del os.environ[name]
    os.environ[ENV_FILE_VARIABLE] = os.devnull
    os.environ["PLAYGROUND_DATA_DIR"] = tempfile.mkdtemp(prefix="playground-test-data-")


isolate_environment()
limit_blas_threads()


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    """A TestClient for the whole app (lifespan run once per session), talking to host ``localhost``.

    (TestClient's own default host, ``testserver``, is not in the default ``allowed_hosts``.)
    """
    from app.main import app

    with TestClient(app, base_url="http://localhost") as c:
        yield c
