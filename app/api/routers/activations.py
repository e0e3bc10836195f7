"""Route of the textbook's activation-histogram experiment (no training)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.api.deps import SettingsDep
from app.api.responses import error_responses
from app.api.schemas.activations import ActivationRequest, ActivationResponse
from app.config import Settings
from app.core.errors import InputError
from app.core.nn.activation_experiment import run_activation_experiment

router = APIRouter(tags=["activations"])


def _check_bounds(req: ActivationRequest, settings: Settings) -> None:
    limits = (
        ("n_samples", req.n_samples, settings.max_activation_samples, "max_activation_samples"),
        ("layers", req.layers, settings.max_layers, "max_layers"),
        ("width", req.width, settings.max_width, "max_width"),
        ("n_features", req.n_features, settings.max_width, "max_width"),
    )
    for field, value, limit, name in limits:
        if value > limit:
            message = f"{value} is above the limit of {limit}"
            raise InputError(field, message, "limit.exceeded", {"limit": limit, "setting": name, "value": value})
    values = req.n_samples * req.width * req.layers  # activations computed and histogrammed
    if values > settings.max_activation_values:
        raise InputError(
            "n_samples",
            f"n_samples × width × layers = {values} activations, above the limit of {settings.max_activation_values}",
            "limit.exceeded",
            {"limit": settings.max_activation_values, "setting": "max_activation_values", "value": values},
        )


SUMMARY = "Histogram each layer's activations for random inputs at initialisation."


@router.post(
    "/activations", response_model=ActivationResponse, summary=SUMMARY, responses=error_responses(400, 413, 422)
)
def activations(req: ActivationRequest, settings: SettingsDep) -> dict[str, Any]:
    """Histogram each layer's activations for random inputs at initialisation."""
    _check_bounds(req, settings)
    return run_activation_experiment(**req.model_dump())
