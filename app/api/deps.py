"""FastAPI dependencies shared by the routers (override them in tests via ``dependency_overrides``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.config import Settings, get_settings
from app.jobs.manager import JobManager, get_manager


def get_job_manager() -> JobManager:
    """The process-wide training-job manager."""
    return get_manager()


SettingsDep = Annotated[Settings, Depends(get_settings)]
"""The server's limits (``app.config.Settings``)."""

JobManagerDep = Annotated[JobManager, Depends(get_job_manager)]
"""The job manager that runs training off the event loop."""
