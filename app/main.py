"""ASGI entry point: ``app.main:app``. Wires routers, static files and error handlers.

Every router is mounted under ``/api`` with the framework's request-body limit
(``max_body_size``, see ``app/api/body_limit.py``) and ``bind_request_settings``, which hands the
request's ``SettingsDep`` to the request models' limit checks (see ``app/api/deps.py``). The
handlers below give every error the contract's shape (docs/API.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from fastapi import Depends, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response

from app import __version__
from app.api.admission import configure_switch_interval, start_workers, stop_workers
from app.api.body_limit import DeclaredBodyLimit, too_large_detail
from app.api.deps import bind_request_settings
from app.api.errors import coded, input_item, localize, pydantic_item, too_many_errors
from app.api.middleware.hosts import AllowedHosts, allowed_names
from app.api.middleware.security_headers import SecurityHeaders, swagger_policy
from app.api.middleware.server_timing import ServerTiming
from app.api.middleware.stream_disconnects import QuietStreamDisconnects
from app.api.routers import (
    activations,
    curvature,
    datasets,
    health,
    jobs,
    lab_catalogue,
    landscapes,
    limits,
    optimizers,
    runs,
    searches,
    surfaces,
    sweeps,
    trajectories,
)
from app.api.static_files import (
    PLOTLY_PARTIAL_URL,
    PLOTLY_URL,
    UNVERSIONED_PLOTLY_PARTIAL_URL,
    UNVERSIONED_PLOTLY_URL,
    Page,
    RevalidatedStaticFiles,
    plotly_response,
    warm_up,
)
from app.config import get_settings
from app.core.errors import InputError
from app.jobs.manager import get_manager, shutdown_manager
from app.searches.manager import shutdown_search_manager
from app.store import get_run_store
from app.store.recorder import server_stopping, start_recording, stop_recording

ROOT = Path(__file__).resolve().parent
STATIC = ROOT / "static"
MAX_BODY_BYTES = get_settings().max_body_bytes
"""Largest request body (PLAYGROUND_MAX_BODY_BYTES), read once at start-up."""
PAGES = {"optimizer": Page(STATIC / "index.html"), "training": Page(STATIC / "training.html")}


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    """At start-up: save every job as a run (app/store/recorder.py), set the thread switch interval,
    spawn the lab's worker processes and compress the Plotly bundles and the front-end files (in a thread). On shutdown:
    cancel running training jobs and searches, stop the workers, then commit what the saved-runs
    writer still holds."""
    settings = get_settings()
    manager = get_manager()
    configure_switch_interval(settings)
    start_workers(settings)
    await asyncio.to_thread(start_recording, manager, get_run_store(settings), settings.saved_runs_flush_seconds)
    warm_up(STATIC_FILES.memory_files)  # defined below, at import; the lifespan runs after
    yield
    server_stopping(manager)  # the jobs cancelled now are saved as interrupted, not as stopped by hand
    await asyncio.to_thread(shutdown_manager)
    await asyncio.to_thread(shutdown_search_manager)
    await asyncio.to_thread(stop_workers)
    await asyncio.to_thread(stop_recording, manager)


app = FastAPI(
    lifespan=lifespan,
    docs_url=None,  # served below from the installed swagger-ui bundle instead of a CDN
    redoc_url=None,
    title="Optimizer Playground",
    version=__version__,
    summary="2-D optimizer trajectories and small-MLP training telemetry, as JSON.",
)

for module in (
    health,
    limits,
    lab_catalogue,
    surfaces,
    optimizers,
    trajectories,
    sweeps,
    curvature,
    jobs,
    activations,
    datasets,
    searches,
    runs,
    landscapes,
):
    # Each endpoint's one-line docstring is its OpenAPI summary.
    for route in module.router.routes:
        if isinstance(route, APIRoute) and route.summary is None and route.endpoint.__doc__:
            route.summary = route.endpoint.__doc__.strip().splitlines()[0]
    app.include_router(
        module.router, prefix="/api", max_body_size=MAX_BODY_BYTES, dependencies=[Depends(bind_request_settings)]
    )

# A declared Content-Length above the limit is answered here, in the contract's shape; a body
# streamed without one is counted by the routers' own limit above (see app/api/body_limit.py).
app.add_middleware(DeclaredBodyLimit, max_bytes=MAX_BODY_BYTES)
# Transfer and security (outermost last): gzip for JSON and text at a level chosen in docs/transfer.md
# (never for text/event-stream, which Starlette's GZipMiddleware excludes, nor for answers that are
# encoded already, such as the pre-compressed Plotly bundle); security headers on every answer;
# the Host allow-list first of all (app/api/middleware/).
_settings = get_settings()
if _settings.gzip_level > 0:
    app.add_middleware(GZipMiddleware, minimum_size=_settings.gzip_min_bytes, compresslevel=_settings.gzip_level)
app.add_middleware(SecurityHeaders)
# A client leaving an event stream: one INFO line, not an ERROR traceback (app/api/middleware/stream_disconnects.py).
app.add_middleware(QuietStreamDisconnects)
app.add_middleware(AllowedHosts, allowed=allowed_names(_settings.allowed_hosts, _settings.host))
app.add_middleware(ServerTiming)  # outermost: Server-Timing covers everything the server does


MAX_ERRORS = 20
"""Most validation errors listed in one 422 (a list of 100,000 bad items must not echo 100,000)."""


def _error_body(request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"detail": items}`` with ``msg`` in Korean when the request asks for it (app/api/errors.py)."""
    return {"detail": localize(items, request.headers.get("accept-language"))}


@app.exception_handler(InputError)
async def input_error_handler(request: Request, exc: InputError) -> JSONResponse:
    """Engine-level input problems (bad expression, unknown id, …) become a 422 naming the field."""
    return JSONResponse(status_code=422, content=_error_body(request, [input_item(exc)]))


@app.exception_handler(RequestValidationError)
async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """Pydantic validation errors as 422 with code and params, without echoing huge inputs back."""
    errors = exc.errors()
    details = [pydantic_item(err) for err in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        details.append(too_many_errors(len(errors) - MAX_ERRORS))
    return JSONResponse(status_code=422, content=_error_body(request, details))


# Where a plain-text HTTP error points, for the ``loc`` of its normalised detail.
_STATUS_LOC = {400: ["body"], 404: ["path"], 405: ["method"]}


@app.exception_handler(StarletteHTTPException)
async def http_error_handler(request: Request, exc: StarletteHTTPException) -> Response:
    """Every HTTP error in the contract's shape: ``{"detail": [{"type", "loc", "msg", "code", "params"}]}``.

    Framework errors carry a plain string (``"Not Found"``; ``"Content Too Large"`` from the body
    limit; ``"There was an error parsing the body"`` for a body the JSON decoder gives up on —
    nested thousands of levels deep, or not UTF-8 — while malformed JSON is FastAPI's 422
    ``json_invalid``, see docs/API.md); they get a ``loc`` from their status and the code
    ``http.<status>``. Details that are already lists keep their items and gain a code where
    they lack one; bodiless statuses (204) pass through unchanged.
    """
    if exc.status_code == 413:
        items = too_large_detail(request.scope)
        return JSONResponse(status_code=413, content=_error_body(request, items), headers=exc.headers)
    if exc.status_code < 400:
        return await http_exception_handler(request, exc)
    detail: object = exc.detail  # typed str, but routers raise lists of items too
    if isinstance(detail, list):
        items = [coded(exc.status_code, item) for item in detail if isinstance(item, dict)]
    else:
        msg = str(exc.detail)
        kind = "http_error"
        if exc.status_code == 400 and exc.__cause__ is not None:
            kind = "json_invalid"
            msg = "the request body could not be decoded as JSON (nested too deeply, or not UTF-8)"
        items = [coded(exc.status_code, {"type": kind, "loc": _STATUS_LOC.get(exc.status_code, []), "msg": msg})]
    return JSONResponse(status_code=exc.status_code, content=_error_body(request, items), headers=exc.headers)


@app.exception_handler(Exception)
async def internal_error_handler(request: Request, _: Exception) -> JSONResponse:
    """An unexpected failure: a 500 in the contract's shape, without the traceback or any server path."""
    item = {"type": "internal_error", "loc": [], "msg": "internal server error", "code": "http.500", "params": {}}
    return JSONResponse(status_code=500, content=_error_body(request, [item]))


@app.get(PLOTLY_URL, include_in_schema=False)
def plotly_js(request: Request) -> Response:
    """Plotly.js from the installed ``plotly`` package (no CDN): pre-compressed, cached for a year."""
    return plotly_response(request)


@app.get(UNVERSIONED_PLOTLY_URL, include_in_schema=False)
def plotly_js_unversioned(request: Request) -> Response:
    """The same bundle under its plain name, revalidated on each use (the pages use the versioned URL)."""
    return plotly_response(request, versioned=False)


@app.get(PLOTLY_PARTIAL_URL, include_in_schema=False)
def plotly_partial_js(request: Request) -> Response:
    """The 2-D Plotly bundle (vendored, same plotly.js version): what the pages load first."""
    return plotly_response(request, partial=True)


@app.get(UNVERSIONED_PLOTLY_PARTIAL_URL, include_in_schema=False)
def plotly_partial_js_unversioned(request: Request) -> Response:
    """The partial bundle under its plain name, revalidated on each use."""
    return plotly_response(request, versioned=False, partial=True)


@app.get("/docs", include_in_schema=False)
def swagger_ui() -> HTMLResponse:
    """Interactive API docs, with Swagger UI's assets served locally (works offline)."""
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} — API",
        swagger_js_url="/vendor/swagger-ui/swagger-ui-bundle.js",
        swagger_css_url="/vendor/swagger-ui/swagger-ui.css",
        swagger_favicon_url="/vendor/swagger-ui/favicon-32x32.png",
    )
    page.headers["content-security-policy"] = swagger_policy(bytes(page.body).decode())
    return page


@app.get("/", include_in_schema=False)
def optimizer_lab_page(request: Request) -> Response:
    """The Optimizer Lab page."""
    return PAGES["optimizer"].response(request)


@app.get("/training", include_in_schema=False)
def training_lab_page(request: Request) -> Response:
    """The Training Lab page."""
    return PAGES["training"].response(request)


STATIC_FILES = RevalidatedStaticFiles(
    directory=STATIC, memory_dirs=(STATIC / "js", STATIC / "css"), compress_from=_settings.gzip_min_bytes
)
app.mount("/static", STATIC_FILES, name="static")
SWAGGER_UI = RevalidatedStaticFiles(directory=str(swagger_ui_bundle.swagger_ui_path))
app.mount("/vendor/swagger-ui", SWAGGER_UI, name="swagger-ui")
