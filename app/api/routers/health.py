"""Liveness check used by Docker's HEALTHCHECK."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.schemas.common import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """Report that the server is up."""
    return Health(status="ok")
