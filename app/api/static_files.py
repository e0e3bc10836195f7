"""Static answers with HTTP caching: the Plotly bundle (pre-compressed, immutable), the pages and files.

Plotly (``plotly.min.js`` of the installed ``plotly`` package, ~4.8 MB) is most of a cold page
load. It is served

- at a versioned URL, :data:`PLOTLY_URL` = ``/vendor/plotly-<plotly version>.min.js``, with
  ``Cache-Control: public, max-age=31536000, immutable``: a new ``plotly`` version is a new URL,
  so a browser never needs to ask again;
- gzip-compressed when the request accepts gzip: the compressed bytes are made once per process
  (level 9, ~1.5 MB; :meth:`Asset.gzipped`, warmed in a thread at start-up) and kept in memory,
  keyed by that URL. Nothing is compressed per request and nothing is built or downloaded;
- with an ``ETag`` (a content hash; the gzip variant's ends in ``-gzip``) and a real 304 to
  ``If-None-Match``. ``/vendor/plotly.min.js`` still answers (the same bytes, revalidated) for
  anything that links the unversioned name.

The pages load a smaller bundle first: plotly.js's core with the four trace types the pages draw
in 2-D (scatter, bar, heatmap, contour; ~1.2 MB), built from plotly.js's own sources and vendored
at ``app/static/vendor/plotly-2d-<plotly.js version>.min.js`` (MIT, see
``plotly-2d-LICENSE.txt`` there; built by the maintainer script ``scripts/build_plotly_2d.sh``
at the plotly.js version of the installed ``plotly`` package, never at install or run time). It
is served exactly like the full bundle, at :data:`PLOTLY_PARTIAL_URL`. The full bundle is loaded
by the page only when a chart needs a trace type the 2-D one lacks (the Optimizer Lab's 3-D
view); ``shared/plots.js`` does that.

The pages (``/``, ``/training``) are the files in ``app/static`` with the unversioned Plotly URLs
replaced by :data:`PLOTLY_URL` and :data:`PLOTLY_PARTIAL_URL`, and the partial bundle's trace types
written into its script tag (``data-trace-types``); they and the app's own files under ``/static`` change between
versions of the app, so they carry ``Cache-Control: no-cache`` (stored, but revalidated on each
use) and an ``ETag``, answered with 304 while unchanged. Those small text files are compressed
on the fly by the app's gzip middleware (``app/main.py``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import plotly
from plotly.offline import get_plotlyjs_version
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

PLOTLY_SOURCE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_VERSION: str = plotly.__version__
PLOTLY_URL = f"/vendor/plotly-{PLOTLY_VERSION}.min.js"
"""The URL the pages load Plotly from: a new ``plotly`` package version is a new URL."""
UNVERSIONED_PLOTLY_URL = "/vendor/plotly.min.js"
"""The name the pages' HTML files use; replaced by :data:`PLOTLY_URL` when a page is served."""

PLOTLY_JS_VERSION: str = get_plotlyjs_version()
"""The plotly.js version inside the installed ``plotly`` package (the partial bundle must match it)."""
VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"
PLOTLY_PARTIAL_SOURCE = VENDOR / f"plotly-2d-{PLOTLY_JS_VERSION}.min.js"
"""The vendored 2-D bundle of that plotly.js version."""
PLOTLY_PARTIAL_URL = f"/vendor/plotly-2d-{PLOTLY_VERSION}.min.js"
"""The URL the pages load the partial bundle from (versioned like :data:`PLOTLY_URL`)."""
UNVERSIONED_PLOTLY_PARTIAL_URL = "/vendor/plotly-2d.min.js"
"""The name the pages' HTML files use for the partial bundle."""
TRACE_TYPES_PLACEHOLDER = b'data-trace-types=""'
"""Where a page's HTML gets the partial bundle's trace types (space-separated)."""


def bundle_trace_types(bundle: bytes) -> tuple[str, ...]:
    """The trace types a plotly.js bundle registers (each trace module declares its ``name``), sorted."""
    names = re.findall(rb'moduleType:"trace",name:"([a-z0-9]+)"', bundle)
    return tuple(sorted({name.decode() for name in names}))


IMMUTABLE = "public, max-age=31536000, immutable"
"""A year, and never revalidated: for URLs whose content never changes."""
REVALIDATE = "no-cache"
"""May be stored, but must be revalidated (ETag → 304) before each use."""

GZIP_LEVEL = 9
"""Level of the one-time compression of the Plotly bundle (paid once per process, so the smallest)."""


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (``gzip``/``x-gzip``/``*`` with q > 0)."""
    explicit: float | None = None
    star: float | None = None
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            explicit = q if explicit is None else max(explicit, q)
        elif coding == "*":
            star = q
    if explicit is not None:
        return explicit > 0
    return star is not None and star > 0


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison of ``If-None-Match`` with ``etag`` (RFC 9110 §13.1.2); ``*`` matches anything."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    bare = etag.removeprefix("W/")
    return "*" in tags or any(tag.removeprefix("W/") == bare for tag in tags)


@dataclass
class Asset:
    """One file served from memory, in identity and (made once, on first use) gzip encoding."""

    body: bytes
    media_type: str
    cache_control: str
    compress: bool = False
    """Whether to offer a gzip variant (made by :meth:`gzipped`, once)."""
    _gzip: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def gzipped(self) -> bytes:
        """The gzip encoding of the body, made on the first call (thread-safe) and kept."""
        with self._lock:
            if self._gzip is None:
                self._gzip = gzip.compress(self.body, compresslevel=GZIP_LEVEL, mtime=0)
            return self._gzip

    def response(self, request: Request, cache_control: str | None = None) -> Response:
        """200 with the encoding the request accepts, or 304 when ``If-None-Match`` has its ETag.

        ``cache_control`` replaces the asset's own ``Cache-Control`` (the same bytes at two URLs).
        """
        use_gzip = self.compress and accepts_gzip(request.headers.get("accept-encoding"))
        etag = self._etags[use_gzip]
        headers = {"etag": etag, "cache-control": cache_control or self.cache_control}
        if self.compress:
            headers["vary"] = "Accept-Encoding"
        if etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=headers)
        if use_gzip:
            headers["content-encoding"] = "gzip"
            return Response(self.gzipped(), media_type=self.media_type, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)

    def __post_init__(self) -> None:
        # Strong ETags: the body's SHA-256 (20 hex digits); the gzip variant is another representation.
        identity = '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'
        self._etags = {False: identity, True: identity[:-1] + '-gzip"'}


PLOTLY = Asset(PLOTLY_SOURCE.read_bytes(), "text/javascript; charset=utf-8", IMMUTABLE, compress=True)
"""The Plotly bundle at :data:`PLOTLY_URL`."""
PLOTLY_PARTIAL = Asset(PLOTLY_PARTIAL_SOURCE.read_bytes(), "text/javascript; charset=utf-8", IMMUTABLE, compress=True)
"""The 2-D bundle at :data:`PLOTLY_PARTIAL_URL`."""
PARTIAL_TRACE_TYPES = bundle_trace_types(PLOTLY_PARTIAL.body)
"""Trace types the partial bundle can draw; any other needs the full bundle."""


def plotly_response(request: Request, *, versioned: bool = True, partial: bool = False) -> Response:
    """A Plotly bundle (full or partial): immutable at the versioned URL, revalidated at the unversioned one."""
    return (PLOTLY_PARTIAL if partial else PLOTLY).response(request, None if versioned else REVALIDATE)


def _compress(files: Sequence[WatchedFile]) -> None:
    PLOTLY_PARTIAL.gzipped()  # the one every page loads first
    for file in files:
        asset = file.asset()
        if asset.compress:
            asset.gzipped()
    PLOTLY.gzipped()


def warm_up(files: Sequence[WatchedFile] = ()) -> threading.Thread:
    """Compress the Plotly bundles and ``files`` in a daemon thread now, so the first page load does not wait."""
    thread = threading.Thread(target=_compress, args=(files,), name="static-gzip", daemon=True)
    thread.start()
    return thread


def render_page(html: bytes) -> bytes:
    """A page's HTML as served: versioned bundle URLs and the partial bundle's trace types put in."""
    html = html.replace(UNVERSIONED_PLOTLY_URL.encode(), PLOTLY_URL.encode())
    html = html.replace(UNVERSIONED_PLOTLY_PARTIAL_URL.encode(), PLOTLY_PARTIAL_URL.encode())
    types = " ".join(PARTIAL_TRACE_TYPES).encode()
    return html.replace(TRACE_TYPES_PLACEHOLDER, b'data-trace-types="' + types + b'"')


class WatchedFile:
    """A file answered from memory (:class:`Asset`), read again when its size or modification time changes.

    ``render`` turns the file's bytes into what is served (a page's HTML, :func:`render_page`).
    Files of at least ``compress_from`` bytes get a gzip variant, made once per version of the file.
    """

    def __init__(
        self,
        path: Path,
        media_type: str,
        *,
        render: Callable[[bytes], bytes] | None = None,
        compress_from: int | None = None,
    ) -> None:
        self.path = path
        self.media_type = media_type
        self.render = render
        self.compress_from = compress_from
        self._stamp: tuple[int, int] | None = None
        self._asset: Asset | None = None
        self._lock = threading.Lock()

    def asset(self) -> Asset:
        """The file as served now (cached while the file's size and modification time stay)."""
        stat = os.stat(self.path)
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._asset is None or stamp != self._stamp:
                body = self.path.read_bytes()
                if self.render is not None:
                    body = self.render(body)
                compress = self.compress_from is not None and len(body) >= self.compress_from
                self._asset = Asset(body, self.media_type, REVALIDATE, compress=compress)
                self._stamp = stamp
            return self._asset

    def response(self, request: Request) -> Response:
        """200 with the file, or 304 when the browser's copy is current."""
        return self.asset().response(request)


class Page(WatchedFile):
    """An HTML page of ``app/static`` as served (:func:`render_page`); compressed by the app's gzip middleware.

    (``<link rel="modulepreload">`` for the page's ~40 modules was tried twice and measured by
    ``bench/page_load.py``: with Plotly ``async`` (ratio 1.07–1.10 against 0.78 without) and again
    with Plotly deferred after the page's module (first contour 1783 ms against 1699 ms without,
    6 alternating cold loads, load ~10): the burst of 40 requests competes with the Plotly bundle
    and its run for the two cores. Not used; docs/transfer.md.)
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, "text/html; charset=utf-8", render=render_page)


MEMORY_SUFFIXES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
"""The app's own front-end files that :class:`RevalidatedStaticFiles` answers from memory."""


class RevalidatedStaticFiles(StaticFiles):
    """Static files with ``Cache-Control: no-cache`` (stored, revalidated with ETag → 304 before each use).

    The app's own modules and style sheets (:data:`MEMORY_SUFFIXES`, found under ``memory_dirs``
    when the app starts) are answered from memory, gzip made once per file version
    (:class:`WatchedFile`): a cold page load asks for ~45 of them, six at a time, and Starlette's
    file answer (a thread hand-over to open and read the file, then the gzip middleware at every
    request) made each one cost the server 10–30 ms while the browser compiled Plotly beside it.
    Anything else (and a file added after start-up) is Starlette's own answer.
    """

    def __init__(
        self, *, directory: str | os.PathLike[str], memory_dirs: Sequence[Path] = (), compress_from: int = 1_024
    ) -> None:
        super().__init__(directory=directory)
        self._memory: dict[str, WatchedFile] = {}
        root = Path(directory)
        for memory_dir in memory_dirs:
            for path in sorted(memory_dir.rglob("*")):
                media_type = MEMORY_SUFFIXES.get(path.suffix)
                if media_type is not None and path.is_file():
                    key = path.relative_to(root).as_posix()
                    self._memory[key] = WatchedFile(path, media_type, compress_from=compress_from)

    @property
    def memory_files(self) -> tuple[WatchedFile, ...]:
        """The files answered from memory."""
        return tuple(self._memory.values())

    async def get_response(self, path: str, scope: Scope) -> Response:
        """A file kept in memory, or Starlette's answer (which handles every other case and error)."""
        file = self._memory.get(path.replace(os.sep, "/"))
        if file is not None and scope["method"] in ("GET", "HEAD"):
            try:
                return file.response(Request(scope))
            except OSError:  # removed since start-up: Starlette answers (404)
                pass
        return await super().get_response(path, scope)

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        """The file (or a 304), told to be revalidated before each use."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = REVALIDATE
        return response
