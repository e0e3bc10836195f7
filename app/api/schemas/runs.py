"""Request and response models of the saved-runs API (docs/API.md, "Saved runs").

An import accepts exactly what the Training Lab's "Export JSON" writes — one run
``{label, job_id, status, config, summary, events: [{id, event, data}]}`` or several
``{"runs": [...]}`` — and this API's own export, which is the same record with ``format``,
``kind``, ``id``, ``created`` (and, for a comparison, its runs under ``runs``). Everything is data:
an imported configuration is stored and shown, never run.
"""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator, model_validator

from app.api.schemas.common import StrictModel

EXPORT_FORMAT = "optimizer-playground/run"
"""The ``format`` field of this API's export."""

RunKind = Literal["training", "comparison", "search", "lab"]
RunStatus = Literal["running", "done", "cancelled", "error", "diverged", "interrupted"]

LABEL_MAX = 200
EVENT_NAME = r"^[a-z][a-z0-9_]{0,31}$"


class RunInfo(BaseModel):
    """One saved run in a list: no config, summary or events."""

    id: str = Field(description="`j-…` a training job, `c-…` a comparison, `s-…` a search, `r-…` saved or imported.")
    kind: RunKind
    label: str
    status: RunStatus = Field(description="`running` only while its server runs it; `interrupted`: the server died.")
    parent_id: str | None = Field(description="The comparison (or search) this run belongs to.")
    created: str = Field(description="ISO 8601 UTC.")
    finished: str | None = Field(description="ISO 8601 UTC; null while running or when interrupted.")
    n_events: int = Field(description="Telemetry events kept (older metrics frames thinned beyond the byte bound).")
    stored_bytes: int = Field(description="Compressed bytes of the kept events in the database.")
    test_acc: float | None = Field(description="The summary's test accuracy (a comparison's: its best run's).")


class RunList(BaseModel):
    """A page of saved runs, newest first."""

    runs: list[RunInfo]
    total: int = Field(description="Runs matching the query (all pages).")
    limit: int
    offset: int


class SavedEvent(BaseModel):
    """One stored event, in the shape of ``GET /api/jobs/{id}``'s history."""

    id: int
    event: str
    data: JsonValue


class RunDetail(RunInfo):
    """One saved run with its configuration, summary and a page of its events."""

    config: dict[str, JsonValue]
    summary: dict[str, JsonValue] | None
    events: list[SavedEvent] = Field(description="Kept events with id > `after`, oldest first, at most `limit`.")
    next_after: int | None = Field(description="Pass as `after` for the next page; null when this is the last.")
    children: list[RunInfo] = Field(description="A comparison's (or search's) runs, in order.")


class RunCreate(StrictModel):
    """A run saved by the page: an Optimizer Lab configuration with its results."""

    kind: Literal["lab"] = "lab"
    label: str = Field(min_length=1, max_length=LABEL_MAX)
    config: dict[str, JsonValue] = Field(description="What reproduces it (the Optimizer Lab's URL state).")
    summary: dict[str, JsonValue] | None = Field(None, description="The results shown when it was saved.")


class RunRename(StrictModel):
    """``PATCH /api/runs/{id}``: a new label."""

    label: str = Field(min_length=1, max_length=LABEL_MAX)

    @field_validator("label")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the label is blank")
        return value.strip()


class ImportedEvent(BaseModel):
    """One event of an exported run."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    id: int = Field(ge=1)
    event: str = Field(pattern=EVENT_NAME)
    data: JsonValue


class ImportedRun(BaseModel):
    """One exported run (the Training Lab's ``runToJSON`` record, or this API's export)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    format: Literal["optimizer-playground/run"] | None = None
    kind: Literal["training", "lab", "comparison"] = "training"
    label: str = Field("imported run", max_length=LABEL_MAX)
    job_id: str | None = Field(None, max_length=64)
    status: RunStatus | Literal["queued", "paused"] | None = None
    config: dict[str, JsonValue] = Field(default_factory=dict)
    summary: dict[str, JsonValue] | None = None
    events: list[ImportedEvent] = Field(default_factory=list)
    runs: list[ImportedRun] = Field(default_factory=list, description="A comparison's runs (this API's export).")

    @model_validator(mode="after")
    def _ids_increase(self) -> ImportedRun:
        ids = [e.id for e in self.events]
        if any(b <= a for a, b in itertools.pairwise(ids)):
            raise ValueError("event ids must increase")
        if self.kind != "comparison" and self.runs:
            raise ValueError("only a comparison holds runs")
        return self

    def saved_status(self) -> str:
        """The status to store: a run exported mid-way (running, queued, paused) is interrupted; a
        ``done`` run whose summary says it diverged (as the Training Lab exports it) is diverged."""
        status: str | None = self.status
        if status in (None, "running", "queued", "paused"):
            status = next((e.event for e in reversed(self.events) if e.event in ("done", "cancelled", "error")), None)
            if status is None:
                return "interrupted"
        if status == "done" and (self.summary or {}).get("status") == "diverged":
            return "diverged"
        return status


class ImportResult(BaseModel):
    """The runs an import stored (new ids; a comparison's runs are listed under it in its detail)."""

    runs: list[RunInfo]
