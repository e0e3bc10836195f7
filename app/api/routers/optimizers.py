"""Routes for optimizers (being written)."""

from fastapi import APIRouter

router = APIRouter(tags=["optimizers"])
