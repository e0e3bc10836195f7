"""Routes for activations (being written)."""

from fastapi import APIRouter

router = APIRouter(tags=["activations"])
