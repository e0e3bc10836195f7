"""Routes for sweeps (being written)."""

from fastapi import APIRouter

router = APIRouter(tags=["sweeps"])
