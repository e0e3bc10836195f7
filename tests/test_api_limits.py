"""``GET /api/limits``: every limit of ``app.config.Settings``, with the server's current values."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.api.schemas.limits import ADMISSION_SETTINGS
from app.config import Settings, get_settings

# Written out by hand (independent of the generated model): the settings that bound a request.
EXPECTED = {
    "stream_above_steps",  # engine2d: when the Optimizer Lab page streams
    "landscape_max_parameters",
    "landscape_max_snapshots",
    "landscape_max_trajectories",
    "landscape_max_grid",
    "landscape_max_samples",
    "landscape_max_work",
    "landscape_max_power_iterations",
    "landscape_race_samples",
    "landscape_max_surfaces",
    "max_steps",
    "max_runs",
    "max_grid",
    "max_sweep_points",
    "max_map_starts",
    "max_map_steps",
    "max_curvature_points",
    "max_expression_length",
    "max_expression_depth",
    "max_expression_nodes",
    "divergence_bound",
    "max_work",
    "max_stream_work",
    "max_layers",
    "max_width",
    "max_epochs",
    "max_samples",
    "max_concurrent_jobs",
    "max_queued_jobs",
    "max_queued_per_client",
    "worker_processes",
    "worker_blas_threads",
    "max_kept_jobs",
    "job_ttl_seconds",
    "max_events_per_job",
    "max_event_bytes_per_job",
    "max_comparison_runs",
    "max_comparison_event_bytes",
    "max_pause_seconds",
    "max_unit_view_inputs",
    "max_unit_view_units",
    "max_activation_samples",
    "max_activation_values",
    "max_upload_bytes",
    "max_upload_rows",
    "max_upload_columns",
    "max_upload_classes",
    "max_uploads",
    "max_body_bytes",
    "max_search_trials",
    "max_search_epochs",
    "max_search_parallelism",
    "max_search_bytes",
    "max_concurrent_searches",
    "max_kept_searches",
    "max_saved_bytes_per_run",
    "max_saved_runs_page",
    "max_saved_events_page",
    "max_import_runs",
    "telemetry_budget",
}


SERVER_ONLY = {
    "database_url",
    "database_busy_timeout_seconds",
    "saved_runs_flush_seconds",
    "search_workers",
    "search_worker_nice",
    "dask_scheduler_address",
}
"""Saved-runs settings that configure the server (a database URL may hold a password: never served)."""


@pytest.fixture
def fresh_settings(client: TestClient) -> Iterator[None]:
    """Serve ``Settings()`` read at each request, so environment changes show."""
    client.app.dependency_overrides[get_settings] = lambda: Settings()
    yield
    client.app.dependency_overrides.pop(get_settings, None)


def test_limits_equal_the_settings(client: TestClient) -> None:
    r = client.get("/api/limits")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == EXPECTED
    settings = Settings()
    assert body == {name: getattr(settings, name) for name in EXPECTED}
    assert body["max_steps"] == 20_000 and body["max_runs"] == 16 and body["divergence_bound"] == 1e8


def test_every_max_setting_is_a_limit() -> None:
    # A new max_* setting must appear without editing the endpoint; the server's own configuration
    # (host/port/mnist_dir/data_dir, transfer and connection settings) never does.
    from app.api.schemas.limits import NOT_LIMITS

    fields = set(Settings.model_fields)
    assert {name for name in fields if name.startswith("max_")} <= EXPECTED
    assert {"host", "port", "mnist_dir", "data_dir"} | SERVER_ONLY <= NOT_LIMITS
    assert not any(name.startswith("max_") for name in NOT_LIMITS)
    assert fields - NOT_LIMITS - ADMISSION_SETTINGS == EXPECTED


def test_limits_follow_an_environment_override(
    client: TestClient, fresh_settings: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLAYGROUND_MAX_STEPS", "123")
    monkeypatch.setenv("PLAYGROUND_DIVERGENCE_BOUND", "5e3")
    body = client.get("/api/limits").json()
    assert body["max_steps"] == 123 and body["divergence_bound"] == 5000.0
    assert body["max_runs"] == 16


def test_limits_are_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schema = spec["paths"]["/api/limits"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    model = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert set(model["properties"]) == EXPECTED and set(model["required"]) == EXPECTED
    assert "PLAYGROUND_MAX_STEPS" in model["properties"]["max_steps"]["description"]
    assert model["properties"]["max_work"]["type"] == "number"


def test_docs_list_the_same_limits_with_their_defaults(client: TestClient) -> None:
    import json
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "API.md").read_text(encoding="utf-8")
    section = text[text.index("### `GET /api/limits`") :]
    documented = json.loads(re.search(r"```json\n(.*?)```", section, flags=re.DOTALL).group(1))
    assert documented == client.get("/api/limits").json()
