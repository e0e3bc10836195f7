"""FastAPI dependencies shared by the routers (override them in tests via ``dependency_overrides``).

Limits come from one dependency, :data:`SettingsDep`. Request models validate the body before
any endpoint code runs and cannot take dependencies, so their limit checks read
``app.api.schemas.common.request_settings()`` instead: every ``/api`` route first runs
:func:`bind_request_settings` (``app/main.py`` adds it to each router), which records the
request's ``SettingsDep`` value for the validation that follows. One source per request, so a
``dependency_overrides[get_settings]`` in a test reaches the request models too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query

from app.api.schemas.common import bind_settings
from app.config import Settings, get_settings
from app.jobs.manager import JobManager, get_manager


def get_job_manager() -> JobManager:
    """The process-wide training-job manager."""
    return get_manager()


SettingsDep = Annotated[Settings, Depends(get_settings)]
"""The server's limits (``app.config.Settings``)."""

JobManagerDep = Annotated[JobManager, Depends(get_job_manager)]
"""The job manager that runs training off the event loop."""


def last_event_id(
    header: Annotated[
        int | None, Header(alias="Last-Event-ID", ge=0, description="Resume after this event id (sent by EventSource).")
    ] = None,
    query: Annotated[
        int | None,
        Query(
            alias="last_event_id", ge=0, description="Resume after this event id, for clients that cannot set headers."
        ),
    ] = None,
) -> int:
    """The event id after which an SSE stream resumes (0: from the start).

    The header wins because ``EventSource`` updates it on every reconnect; the query parameter is
    for clients that cannot set headers. Shared by the job and search streams.
    """
    return header if header is not None else (query or 0)


LastEventIdDep = Annotated[int, Depends(last_event_id)]
"""Where a resumable event stream starts (``Last-Event-ID`` header or ``?last_event_id=``)."""


async def bind_request_settings(settings: SettingsDep) -> None:
    """Record the request's settings for its body validation (FastAPI solves this before the body).

    ``async`` on purpose: it runs in the request's own task, whose context the body validation
    then reads; a sync dependency would run in a worker thread's copy of the context.
    """
    bind_settings(settings)
