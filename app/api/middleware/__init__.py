"""ASGI middleware of the app (registered in ``app/main.py``): host allow-list, security headers,
quiet stream disconnects, the ``Server-Timing`` header.

Each is plain ASGI (no Starlette ``BaseHTTPMiddleware``), so streamed answers (SSE) pass through
unbuffered.
"""
