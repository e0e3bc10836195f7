"""Lean transfer: the Plotly bundle pre-compressed and cached for a year, 304s, gzip, security headers, hosts.

All against the real app (TestClient speaks ASGI to it). The gzip bytes are checked by
decompressing them with the standard library: they must be exactly the installed bundle.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import plotly
import pytest
from fastapi.testclient import TestClient

from app.api.middleware.hosts import allowed_names, host_name, is_allowed
from app.api.static_files import (
    PARTIAL_TRACE_TYPES,
    PLOTLY_JS_VERSION,
    PLOTLY_PARTIAL_SOURCE,
    PLOTLY_PARTIAL_URL,
    PLOTLY_URL,
    accepts_gzip,
    bundle_trace_types,
)

BUNDLE = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
GZIP = {"Accept-Encoding": "gzip, deflate, br"}
IDENTITY = {"Accept-Encoding": "identity"}


def _raw(client: TestClient, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the body bytes as sent (not decoded by the client)."""
    with client.stream("GET", url, headers=headers) as r:
        return r.status_code, dict(r.headers), b"".join(r.iter_raw())


def test_the_pages_load_the_partial_bundle_first_and_name_the_full_one(client: TestClient) -> None:
    assert f"/vendor/plotly-{plotly.__version__}.min.js" == PLOTLY_URL
    assert f"/vendor/plotly-2d-{plotly.__version__}.min.js" == PLOTLY_PARTIAL_URL
    types = " ".join(PARTIAL_TRACE_TYPES)
    tag = f'src="{PLOTLY_PARTIAL_URL}" data-full-src="{PLOTLY_URL}" data-trace-types="{types}"></script>'
    for page in ("/", "/training"):
        html = client.get(page).text
        assert f'<script defer id="plotly-script" {tag}' in html
        assert "/vendor/plotly.min.js" not in html and "/vendor/plotly-2d.min.js" not in html


def test_plotly_is_requested_first_and_runs_after_the_pages_module(client: TestClient) -> None:
    for page, entry in (("/", "optimizer_lab/main.js"), ("/training", "training_lab/main.js")):
        html = client.get(page).text
        head = html.split("</head>")[0]
        # the bundle is the first thing the page asks for (a preload at the top of the head) ...
        preload = f'<link rel="preload" as="script" href="{PLOTLY_PARTIAL_URL}" fetchpriority="high">'
        assert preload in head and head.index(preload) < head.index('<link rel="stylesheet"')
        # ... and runs after the page's module (both deferred: document order), which sends its requests first
        module = html.index(f'<script type="module" src="/static/js/{entry}"></script>')
        assert module < html.index('<script defer id="plotly-script"')
        # the one script in the head: the small async module that sends the boot's catalogue requests
        assert head.count("<script") == 1
        assert '<script type="module" async id="early-requests" src="/static/js/shared/early_requests.js"' in head


def test_the_vendored_2d_bundle_is_the_installed_plotly_js_version() -> None:
    # the 2-D bundle (vendored) and the full bundle (in the plotly package) must not drift apart:
    # rebuild the 2-D one with scripts/build_plotly_2d.sh when plotly is upgraded
    head = PLOTLY_PARTIAL_SOURCE.read_bytes()[:300].decode()
    assert f"plotly.js (2-D: scatter bar heatmap contour - minified) v{PLOTLY_JS_VERSION}\n" in head
    assert f"* built from plotly.js {PLOTLY_JS_VERSION} by scripts/build_plotly_2d.sh" in head
    assert f"plotly.js v{PLOTLY_JS_VERSION}\n" in BUNDLE[:200].decode()
    licence = (PLOTLY_PARTIAL_SOURCE.parent / "plotly-2d-LICENSE.txt").read_text()
    assert licence.startswith("MIT License")
    assert "Bundled license information" in licence  # the bundled packages' own licence comments


def test_the_2d_bundle_is_one_parenthesised_function_defining_the_global_plotly() -> None:
    # esbuild's IIFE: `var Plotly=(()=>{…})();` after the header comment. V8 compiles a
    # parenthesised function eagerly while the file streams in, off the main thread.
    text = PLOTLY_PARTIAL_SOURCE.read_text(encoding="utf-8")
    body = text[text.index("*/\n") + 3 :]
    assert body.startswith('"use strict";var Plotly=(()=>{') and body.rstrip().endswith("})();")


def test_the_2d_bundle_has_exactly_the_2d_trace_types_the_pages_draw() -> None:
    # what the labs draw in 2-D (contour, heatmap, bar, scatter) and nothing else; never the 3-D view's
    assert set(PARTIAL_TRACE_TYPES) == {"scatter", "bar", "heatmap", "contour"}
    assert not {"surface", "scatter3d"} & set(PARTIAL_TRACE_TYPES)
    # the full bundle declares every one of them, and more (the reading of the bundles is the same)
    full = set(bundle_trace_types(BUNDLE))
    assert set(PARTIAL_TRACE_TYPES) < full and {"surface", "scatter3d"} <= full


@pytest.mark.parametrize("versioned", [True, False])
def test_the_partial_bundle_is_served_like_the_full_one(client: TestClient, versioned: bool) -> None:
    url = PLOTLY_PARTIAL_URL if versioned else "/vendor/plotly-2d.min.js"
    status, headers, body = _raw(client, url, GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == PLOTLY_PARTIAL_SOURCE.read_bytes()
    assert headers["cache-control"] == ("public, max-age=31536000, immutable" if versioned else "no-cache")
    assert _raw(client, url, {**GZIP, "If-None-Match": headers["etag"]})[:3:2] == (304, b"")
    status, headers, body = _raw(client, url, IDENTITY)
    assert status == 200 and body == PLOTLY_PARTIAL_SOURCE.read_bytes()


def test_plotly_is_sent_pre_compressed_with_long_lived_caching(client: TestClient) -> None:
    status, headers, body = _raw(client, PLOTLY_URL, GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == BUNDLE
    assert len(body) < 0.35 * len(BUNDLE)  # ~1.5 MB of 4.8 MB
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert headers["vary"] == "Accept-Encoding" and headers["etag"].startswith('"')
    assert headers["content-type"].startswith("text/javascript")
    # made once: the same bytes object every time
    assert _raw(client, PLOTLY_URL, GZIP)[2] == body


def test_plotly_without_gzip_is_the_bundle_itself_with_its_own_etag(client: TestClient) -> None:
    status, headers, body = _raw(client, PLOTLY_URL, IDENTITY)
    assert status == 200 and "content-encoding" not in headers and body == BUNDLE
    assert headers["etag"] != _raw(client, PLOTLY_URL, GZIP)[1]["etag"]  # two representations


def test_plotly_revalidation_is_a_304_without_a_body(client: TestClient) -> None:
    for encoding in (GZIP, IDENTITY):
        etag = _raw(client, PLOTLY_URL, encoding)[1]["etag"]
        status, headers, body = _raw(client, PLOTLY_URL, {**encoding, "If-None-Match": etag})
        assert (status, body) == (304, b"")
        assert headers["etag"] == etag and headers["cache-control"].startswith("public")
    assert _raw(client, PLOTLY_URL, {**GZIP, "If-None-Match": '"other"'})[0] == 200
    assert _raw(client, PLOTLY_URL, {**GZIP, "If-None-Match": "*"})[0] == 304


def test_the_unversioned_plotly_url_still_answers_and_is_revalidated(client: TestClient) -> None:
    status, headers, body = _raw(client, "/vendor/plotly.min.js", GZIP)
    assert status == 200 and gzip.decompress(body) == BUNDLE and headers["cache-control"] == "no-cache"
    assert _raw(client, "/vendor/plotly.min.js", {**GZIP, "If-None-Match": headers["etag"]})[0] == 304


@pytest.mark.parametrize("url", ["/", "/training", "/static/js/optimizer_lab/main.js", "/static/css/app.css"])
def test_the_apps_own_files_are_revalidated_with_real_304s(client: TestClient, url: str) -> None:
    status, headers, body = _raw(client, url, GZIP)
    assert status == 200 and headers["cache-control"] == "no-cache" and headers["etag"]
    assert headers.get("content-encoding") == "gzip" and len(gzip.decompress(body)) > len(body)
    status, again, body = _raw(client, url, {**GZIP, "If-None-Match": headers["etag"]})
    assert (status, body) == (304, b"") and again["etag"] == headers["etag"]


def test_json_is_gzipped_above_the_minimum_size_only(client: TestClient) -> None:
    status, headers, body = _raw(client, "/api/surfaces", GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert isinstance(json.loads(gzip.decompress(body)), list)
    status, headers, body = _raw(client, "/api/health", GZIP)  # 15 bytes: not worth it
    assert "content-encoding" not in headers and json.loads(body) == {"status": "ok"}
    status, headers, body = _raw(client, "/api/surfaces", IDENTITY)
    assert "content-encoding" not in headers and isinstance(json.loads(body), list)


def test_event_streams_are_never_compressed(client: TestClient) -> None:
    body = {"surface": "rosenbrock", "start": [-1.5, 2], "steps": 3000, "runs": [{"optimizer": "adam"}]}
    with client.stream("POST", "/api/trajectories/stream", json=body, headers=GZIP) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in r.headers
        first = next(r.iter_raw())
    assert first.startswith(b"event: meta") or b"event:" in first


SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize("url", ["/", "/training", "/api/health", "/api/no-such", PLOTLY_URL, "/static/css/app.css"])
def test_every_answer_carries_the_security_headers(client: TestClient, url: str) -> None:
    headers = client.get(url).headers
    for name, value in SECURITY.items():
        assert headers[name] == value, name
    policy = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["connect-src"] == "'self'"
    assert "unsafe-eval" not in headers["content-security-policy"]


def test_the_api_docs_allow_only_their_own_inline_script(client: TestClient) -> None:
    r = client.get("/docs")
    script_src = next(p for p in r.headers["content-security-policy"].split(";") if "script-src" in p)
    assert "'unsafe-inline'" not in script_src and "'sha256-" in script_src
    assert r.headers["x-content-type-options"] == "nosniff"


def test_an_unknown_host_gets_a_400_in_the_contract_shape(client: TestClient) -> None:
    r = client.get("/api/health", headers={"host": "attacker.example:8000", "accept-language": "ko"})
    assert r.status_code == 400
    (item,) = r.json()["detail"]
    assert item["code"] == "http.host_not_allowed" and item["loc"] == ["header", "host"]
    assert item["params"] == {"host": "attacker.example", "setting": "allowed_hosts"}
    assert "attacker.example" in item["msg"] and "호스트" in item["msg"]
    for host in ("localhost:8000", "127.0.0.1", "[::1]:8000", "LOCALHOST"):
        assert client.get("/api/health", headers={"host": host}).status_code == 200, host


def test_host_names_and_patterns() -> None:
    assert [host_name(h) for h in ("LocalHost:8000", "[::1]:8000", "::1", "a.b")] == ["localhost", "::1", "::1", "a.b"]
    allowed = allowed_names(["localhost", "*.school.example"], bind_host="192.168.1.20")
    assert is_allowed("192.168.1.20", allowed) and is_allowed("lab.school.example", allowed)
    assert not is_allowed("school.example.evil", allowed) and not is_allowed("evil.example", allowed)
    assert allowed_names(["localhost"], bind_host="0.0.0.0") == frozenset({"localhost"})
    assert is_allowed("anything", allowed_names(["*"]))


def test_accept_encoding_parsing() -> None:
    assert accepts_gzip("gzip") and accepts_gzip("br;q=1.0, gzip;q=0.8") and accepts_gzip("*")
    assert not accepts_gzip(None) and not accepts_gzip("identity") and not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("*, gzip;q=0") and not accepts_gzip("br")
