"""The training configuration as a pydantic request model, generated from the engine's dataclasses.

The one source of every option's default and bounds is ``app/core/nn/config.py``; this module
turns each dataclass into a pydantic model (:func:`model_from_dataclass`) and adds only what needs
the server: the settings-dependent maxima (``Spec.limit`` / ``count_limit``, read from the current
:class:`~app.config.Settings` at validation time so each ``PLAYGROUND_*`` variable applies at once)
and MNIST's availability. It also holds the response model of ``GET /api/training/catalogue``.

Settings are read through :func:`current_settings` (a module-level accessor, not a request
dependency: pydantic validators run without one). Tests override settings through the environment
and ``get_settings.cache_clear()``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model, model_serializer
from pydantic_core import PydanticCustomError

from app.api.schemas.common import LocalizedText, StrictModel, limit_exceeded
from app.config import Settings, get_settings
from app.core.datasets import store
from app.core.datasets.upload_common import is_upload_id
from app.core.nn import config as engine
from app.core.nn.options import Spec, construct, fields_of, spec_of, to_dict, unwrap_optional
from app.core.optim.optimizers import OPTIMIZERS


def current_settings() -> Settings:
    """The settings validators compare against (``get_settings()``, read at validation time)."""
    return get_settings()


def limit_error(setting: str, limit: int, message: str, **values: Any) -> PydanticCustomError:
    """A 422 item for a value above a settings limit (code ``limit.exceeded``).

    ``msg`` is plain English about the value and the limit ("600 is above the limit of 500"): the
    field is in ``loc`` (the page shows its form label) and the setting and its environment
    variable are in ``params``/``ctx``, not in the sentence a student reads (issue 8 point 10).
    """
    return limit_exceeded(setting, limit, values.pop("value"), message, **values)


def check_at_most(value: int | None, setting: str, what: str | None = None) -> None:
    """Raise a ``limit_exceeded`` error when ``value > Settings.<setting>`` (``None`` passes).

    ``what`` names counted things ("configurations": "40 configurations, above the limit of 32");
    None for a plain value ("600 is above the limit of 500").
    """
    limit = getattr(current_settings(), setting)
    if value is not None and value > limit:
        message = (
            "{value} is above the limit of {limit}" if what is None else "{value} {what}, above the limit of {limit}"
        )
        raise limit_error(setting, limit, message, what=what or "", value=value)


def _at_most(setting: str, what: str | None = None) -> Callable[[Any], Any]:
    """An after-validator: ``value ≤ Settings.<setting>``."""

    def check(value: Any) -> Any:
        check_at_most(value, setting, what)
        return value

    return check


def _count_at_most(setting: str, what: str) -> Callable[[Any], Any]:
    """A before-validator on a list's length, so a huge list fails fast on its count."""

    def check(value: Any) -> Any:
        if isinstance(value, list):
            check_at_most(len(value), setting, what)
        return value

    return check


def _items_within(spec: Spec) -> Callable[[list[int]], list[int]]:
    """An after-validator for the items of a list of integers (static minimum, settings maximum)."""
    name = spec.item_name or "item {number} is {value}"  # {number}: 1-based, as a student counts

    def check(values: list[int]) -> list[int]:
        limit = getattr(current_settings(), spec.limit) if spec.limit else None
        for i, value in enumerate(values):
            if spec.minimum is not None and value < spec.minimum:
                raise PydanticCustomError(
                    "greater_than_equal",
                    name + "; each needs at least {minimum}",
                    {"index": i, "number": i + 1, "value": value, "minimum": spec.minimum, "ge": spec.minimum},
                )
            if limit is not None and spec.limit is not None and value > limit:
                message = name + ", above the limit of {limit}"
                raise limit_error(spec.limit, limit, message, index=i, number=i + 1, value=value)
        return values

    return check


def _not_second_order(value: Any) -> Any:
    """``optimizer.optimizer``: explain why Newton and L-BFGS are refused for MLPs."""
    cls = OPTIMIZERS.get(value) if isinstance(value, str) else None
    if cls is not None and not cls.mlp:
        raise PydanticCustomError(
            "optimizer_not_for_mlp",
            "{value} works only on the 2-D surfaces (it needs the exact Hessian or full-batch line "
            "searches); choose one of {choices}",
            {"value": value, "choices": ", ".join(engine.MLP_OPTIMIZER_IDS)},
        )
    return value


def _mnist_needs_files(value: str) -> str:
    """``dataset.name``: MNIST only when the server has its files."""
    if value == "mnist" and current_settings().mnist_dir is None:
        raise PydanticCustomError(
            "dataset_unavailable",
            "mnist is not available on this server: set PLAYGROUND_MNIST_DIR to the folder "
            "holding the standard MNIST IDX files",
        )
    return value


def _choice_or_pattern(spec: Spec) -> Callable[[str], str]:
    """An after-validator: one of ``spec.choices`` or a full match of ``spec.pattern``."""
    choices, pattern = spec.choices or (), re.compile(spec.pattern or "")

    def check(value: str) -> str:
        if value not in choices and pattern.fullmatch(value) is None:
            raise PydanticCustomError(
                "literal_error",
                "Input should be {expected}",
                {"expected": ", ".join(repr(c) for c in choices) + f" or an id matching {pattern.pattern}"},
            )
        return value

    return check


def _upload_exists(value: str) -> str:
    """``dataset.name``: an uploaded set must still be stored (``POST /api/datasets/uploads``)."""
    if is_upload_id(value) and store.read_meta(current_settings().data_dir, value) is None:
        raise PydanticCustomError(
            "dataset_unknown_upload",
            "no uploaded data set {value} on this server (deleted?); upload it again",
            {"value": value},
        )
    return value


#: Server-side checks that the engine cannot know, by dotted field path.
EXTRA_VALIDATORS: dict[str, tuple[Any, ...]] = {
    "optimizer.optimizer": (BeforeValidator(_not_second_order),),
    "dataset.name": (AfterValidator(_mnist_needs_files), AfterValidator(_upload_exists)),
}

#: OpenAPI names of the generated models (kept from the hand-written schema they replace).
MODEL_NAMES: dict[type[Any], str] = {
    engine.TrainingConfig: "TrainingConfig",
    engine.DatasetConfig: "DatasetSpec",
    engine.NetworkConfig: "ModelSpec",
    engine.RegularizationConfig: "RegularizationSpec",
    engine.OptimizerConfig: "OptimizerSpec",
    engine.ClipConfig: "TrainingClipSpec",
    engine.EarlyStoppingConfig: "EarlyStoppingSpec",
    engine.TelemetryConfig: "TelemetrySpec",
}


def _annotation(tp: Any, spec: Spec, path: str, models: Models) -> Any:
    """The pydantic annotation of one field: its type, static bounds and (``models.server``) server-side checks."""
    inner, optional = unwrap_optional(tp)
    metadata: list[Any] = []
    if dataclasses.is_dataclass(inner):
        base: Any = model_from_dataclass(inner, models, f"{path}.")  # type: ignore[arg-type]
    elif get_origin(inner) is tuple:
        base = list[get_args(inner)[0]]  # type: ignore[misc]  # a runtime-built generic alias
        if spec.count_limit and models.server:
            counted = "layers" if spec.count_limit == "max_layers" else "items"
            metadata.append(BeforeValidator(_count_at_most(spec.count_limit, counted)))
        if models.server:
            metadata.append(AfterValidator(_items_within(spec)))
    elif get_origin(inner) is Mapping:
        base = dict[get_args(inner)]  # type: ignore[misc]
        metadata.append(Field(max_length=spec.max_items))
    elif inner is str and spec.choices is not None and spec.pattern is not None:
        base = str  # the choices or an id of the pattern (uploaded data sets)
        metadata.append(AfterValidator(_choice_or_pattern(spec)))
    elif inner is str and spec.choices is not None:
        base = Literal[spec.choices]
    else:
        base = inner
        bounds = spec.number_bounds()
        metadata.append(
            Field(
                ge=bounds.get("minimum"),
                le=bounds.get("maximum"),
                gt=bounds.get("exclusive_minimum"),
                lt=bounds.get("exclusive_maximum"),
                max_length=spec.max_length,
            )
        )
        if spec.limit and models.server:
            metadata.append(AfterValidator(_at_most(spec.limit)))
    if models.server:
        metadata.extend(EXTRA_VALIDATORS.get(path, ()))
    annotated = Annotated[(base, *metadata)] if metadata else base
    return annotated | None if optional else annotated


@dataclasses.dataclass
class Models:
    """The models generated so far, and whether they check the server's settings (request bodies do)."""

    server: bool = True
    suffix: str = ""
    done: dict[type[Any], type[BaseModel]] = dataclasses.field(default_factory=dict)


def model_from_dataclass(cls: type[Any], models: Models | None = None, prefix: str = "") -> type[BaseModel]:
    """A strict pydantic model with the fields, defaults, bounds and docs of dataclass ``cls``."""
    models = Models() if models is None else models
    if cls in models.done:
        return models.done[cls]
    fields: dict[str, Any] = {}
    for f, tp in fields_of(cls):
        spec = spec_of(f)
        annotation = _annotation(tp, spec, f"{prefix}{f.name}", models)
        if f.default_factory is not dataclasses.MISSING:
            factory = f.default_factory
            inner, _ = unwrap_optional(tp)
            default = Field(default_factory=models.done.get(inner, factory), description=spec.doc)
        else:
            default = Field(_json_default(f.default), description=spec.doc)
        fields[f.name] = (annotation, default)
    name = MODEL_NAMES.get(cls, cls.__name__) + models.suffix
    example = to_dict(cls())
    model = create_model(
        name,
        __base__=StrictModel,
        __doc__=cls.__doc__,
        __module__=__name__,
        **fields,
    )
    model.model_config = ConfigDict(**{**StrictModel.model_config, "json_schema_extra": {"examples": [example]}})
    model.model_rebuild(force=True)
    models.done[cls] = model
    return model


def _json_default(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


if TYPE_CHECKING:  # mypy sees a plain model; at run time the classes are generated from the dataclasses
    TrainingConfigModel = StrictModel
    TrainingDefaultsModel = StrictModel
else:
    TrainingConfigModel = model_from_dataclass(engine.TrainingConfig)
    #: The same shape without the settings' limits, for serving the defaults whatever the settings.
    TrainingDefaultsModel = model_from_dataclass(engine.TrainingConfig, Models(server=False, suffix="Defaults"))


def to_engine(body: BaseModel) -> engine.TrainingConfig:
    """The validated request as the engine's frozen :class:`~app.core.nn.config.TrainingConfig`."""
    return construct(engine.TrainingConfig, body.model_dump())


# --- GET /api/training/catalogue ---------------------------------------------------------------


class FieldBounds(BaseModel):
    """What one option accepts. For a list (``model.hidden``) the numbers bound each item."""

    minimum: int | float | None = None
    maximum: int | float | None = Field(None, description="Static bound, or the current value of `setting`.")
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    choices: list[str] | None = None
    pattern: str | None = Field(None, description="Further accepted ids: a regular expression (uploaded data sets).")
    integer: bool | None = Field(None, description="True for integer fields.")
    max_items: int | None = Field(None, description="Longest list / largest object.")
    max_length: int | None = Field(None, description="Longest string.")
    setting: str | None = Field(None, description="The Settings field that gives `maximum` (env PLAYGROUND_…).")
    count_setting: str | None = Field(None, description="The Settings field that gives `max_items`.")

    @model_serializer(mode="wrap")
    def _without_nulls(self, handler: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v is not None}


class CatalogueChoice(BaseModel):
    """An id with its display label."""

    id: str
    label: LocalizedText


class TrainingLimits(BaseModel):
    """The server's current Training Lab limits (``Settings``; each is a ``PLAYGROUND_*`` variable)."""

    max_layers: int
    max_width: int
    max_epochs: int
    max_samples: int
    max_comparison_runs: int
    max_activation_samples: int
    max_activation_values: int
    max_concurrent_jobs: int


class LandscapeDefaults(BaseModel):
    """The defaults of a loss-landscape request (``LandscapeRequest``'s own field defaults)."""

    directions: Literal["pca", "random"]
    grid: int = Field(description="Grid points per axis.")
    samples: int = Field(description="Training samples the loss is measured on.")
    seed: int = Field(description="Seed of the random directions.")


class TrainingCatalogue(BaseModel):
    """Everything the Training Lab's form needs: defaults, bounds, ids and the server's limits."""

    defaults: TrainingDefaultsModel = Field(description="The full default job config, as POST /api/jobs accepts it.")
    bounds: dict[str, FieldBounds] = Field(description="By dotted field path as in the POST body.")
    activations: list[CatalogueChoice]
    initializers: list[CatalogueChoice]
    optimizers: list[str] = Field(description="Optimizer ids usable for MLPs (details: GET /api/optimizers).")
    schedules: list[str] = Field(description="Schedule ids (details: GET /api/schedules).")
    datasets: list[str] = Field(description="Data set ids (details and availability: GET /api/datasets).")
    limits: TrainingLimits
    optional_defaults: dict[str, dict[str, Any]] = Field(
        description="By dotted path, the object each optional section (null in `defaults`: `early_stopping`, "
        "`optimizer.clip`) takes when switched on: its dataclass defaults in app/core/nn/config.py."
    )
    activation_experiment: dict[str, FieldBounds] = Field(
        description="Static bounds of POST /api/activations by field (its maxima from settings: `limits`)."
    )
    landscape: LandscapeDefaults = Field(
        description="POST /api/landscapes' own defaults, the Landscape view's first settings (maxima: GET /api/limits)."
    )
