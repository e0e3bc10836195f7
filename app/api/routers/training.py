"""The Training Lab's catalogue: defaults, bounds, ids and limits for the form (docs/API.md, "Training Lab").

Every default and static bound comes from ``app/core/nn/config.py`` (walked with
:func:`~app.core.nn.options.walk`); the settings-dependent maxima are the current ``Settings``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_args, get_origin

from fastapi import APIRouter

from app.api.deps import SettingsDep
from app.api.schemas.activations import ActivationRequest
from app.api.schemas.common import LocalizedText
from app.api.schemas.landscapes import LandscapeRequest
from app.api.schemas.model_bounds import model_bounds
from app.api.schemas.training import (
    CatalogueChoice,
    FieldBounds,
    LandscapeDefaults,
    TrainingCatalogue,
    TrainingLimits,
)
from app.config import Settings
from app.core.nn import config as engine
from app.core.nn.labels import ACTIVATION_LABELS, INIT_LABELS
from app.core.nn.options import fields_of, to_dict, unwrap_optional, walk
from app.core.optim.schedules import SCHEDULES

router = APIRouter(tags=["training"])

#: The fields of a landscape request whose defaults the Landscape view starts from.
LANDSCAPE_FIELDS = tuple(LandscapeDefaults.model_fields)


def field_bounds(settings: Settings) -> dict[str, FieldBounds]:
    """The bounds of every option by dotted path, with settings-dependent maxima filled in."""
    out: dict[str, FieldBounds] = {}
    for path, spec, tp in walk(engine.TrainingConfig):
        inner, _ = unwrap_optional(tp)
        item = get_args(inner)[0] if get_origin(inner) is tuple else inner
        bounds = FieldBounds(
            **spec.number_bounds(),
            choices=list(spec.choices) if spec.choices is not None else None,
            pattern=spec.pattern,
            integer=True if item is int else (False if item is float else None),
            max_items=getattr(settings, spec.count_limit) if spec.count_limit else spec.max_items,
            max_length=spec.max_length,
            setting=spec.limit,
            count_setting=spec.count_limit,
        )
        if spec.limit:
            bounds.maximum = getattr(settings, spec.limit)
        if bounds.model_dump():
            out[path] = bounds
    return out


def optional_defaults(cls: type[Any] = engine.TrainingConfig, prefix: str = "") -> dict[str, dict[str, Any]]:
    """The default object of every optional section (``X | None = None``, X a dataclass), by dotted path.

    ``early_stopping`` and ``optimizer.clip`` are null in the defaults; switched on, they take
    ``to_dict(X())``, what the engine builds from ``{}`` (``optimizer.schedule`` is a mapping whose
    defaults are each schedule's, GET /api/schedules).
    """
    out: dict[str, dict[str, Any]] = {}
    for f, tp in fields_of(cls):
        inner, optional = unwrap_optional(tp)
        if isinstance(inner, type) and dataclasses.is_dataclass(inner):
            path = f"{prefix}{f.name}"
            if optional:
                out[path] = to_dict(inner())
            out.update(optional_defaults(inner, f"{path}."))
    return out


def _choices(ids: tuple[str, ...], labels: dict[str, dict[str, str]]) -> list[CatalogueChoice]:
    return [CatalogueChoice(id=key, label=LocalizedText(**labels.get(key, {"en": key, "ko": key}))) for key in ids]


@router.get(
    "/training/catalogue",
    response_model=TrainingCatalogue,
    summary="Defaults, bounds, ids and limits of a training job, for the Training Lab's form.",
)
def catalogue(settings: SettingsDep) -> TrainingCatalogue:
    """Defaults, bounds, ids and limits of a training job, for the Training Lab's form."""
    limits = TrainingLimits(**{name: getattr(settings, name) for name in TrainingLimits.model_fields})
    choices_by_path = {path: spec.choices or () for path, spec, _ in walk(engine.TrainingConfig)}
    return TrainingCatalogue(
        defaults=to_dict(engine.TrainingConfig()),  # a dict, validated into the model
        bounds=field_bounds(settings),
        activations=_choices(choices_by_path["model.activation"], ACTIVATION_LABELS),
        initializers=_choices(choices_by_path["model.init"], INIT_LABELS),
        optimizers=list(engine.MLP_OPTIMIZER_IDS),
        schedules=list(SCHEDULES),
        datasets=list(engine.DATASET_IDS),
        limits=limits,
        optional_defaults=optional_defaults(),
        activation_experiment=model_bounds(ActivationRequest),  # dicts, validated into FieldBounds
        landscape=LandscapeDefaults(**{name: LandscapeRequest.model_fields[name].default for name in LANDSCAPE_FIELDS}),
    )
