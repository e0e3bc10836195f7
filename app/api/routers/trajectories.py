"""Routes for trajectories (being written)."""

from fastapi import APIRouter

router = APIRouter(tags=["trajectories"])
