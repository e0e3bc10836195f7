"""Routes for datasets (being written)."""

from fastapi import APIRouter

router = APIRouter(tags=["datasets"])
