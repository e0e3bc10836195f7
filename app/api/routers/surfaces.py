"""Routes for surfaces (being written)."""

from fastapi import APIRouter

router = APIRouter(tags=["surfaces"])
