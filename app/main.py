"""ASGI entry point: ``app.main:app``. Wires routers, static files and error handlers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import plotly
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from app.api.routers import (
    activations,
    datasets,
    health,
    jobs,
    optimizers,
    surfaces,
    sweeps,
    trajectories,
)
from app.core.errors import InputError
from app.jobs.manager import shutdown_manager

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"



@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    """On shutdown, cancel running training jobs and wait briefly for their workers."""
    yield
    await asyncio.to_thread(shutdown_manager)


app = FastAPI(
    lifespan=lifespan,
    title="Optimizer Playground",
    version="0.1.0",
    summary="2-D optimizer trajectories and small-MLP training telemetry, as JSON.",
)

for module in (health, surfaces, optimizers, trajectories, sweeps, jobs, activations, datasets):
    # Each endpoint's one-line docstring is its OpenAPI summary.
    for route in module.router.routes:
        if isinstance(route, APIRoute) and route.summary is None and route.endpoint.__doc__:
            route.summary = route.endpoint.__doc__.strip().splitlines()[0]
    app.include_router(module.router, prefix="/api")


@app.exception_handler(InputError)
async def input_error_handler(_: Request, exc: InputError) -> JSONResponse:
    """Engine-level input problems (bad expression, unknown id, …) become a 422 naming the field."""
    return JSONResponse(status_code=422, content={"detail": [exc.as_detail()]})


@app.exception_handler(RequestValidationError)
async def validation_error_handler(_: Request, exc: RequestValidationError) -> JSONResponse:
    """Pydantic validation errors as 422, without echoing huge inputs back."""
    details = []
    for err in exc.errors():
        item = {k: err[k] for k in ("type", "loc", "msg") if k in err}
        if "ctx" in err:
            item["ctx"] = {k: str(v)[:200] for k, v in err["ctx"].items()}
        details.append(item)
    return JSONResponse(status_code=422, content={"detail": details})


@app.get("/vendor/plotly.min.js", include_in_schema=False)
def plotly_js() -> FileResponse:
    """Plotly.js from the installed ``plotly`` package (no CDN)."""
    return FileResponse(PLOTLY_JS, media_type="text/javascript")


@app.get("/", include_in_schema=False)
def optimizer_lab_page() -> FileResponse:
    """The Optimizer Lab page."""
    return FileResponse(STATIC / "index.html")


@app.get("/training", include_in_schema=False)
def training_lab_page() -> FileResponse:
    """The Training Lab page."""
    return FileResponse(STATIC / "training.html")


app.mount("/static", StaticFiles(directory=STATIC), name="static")
