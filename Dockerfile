# Slim image running Optimizer Playground as a non-root user on 0.0.0.0:8000.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PLAYGROUND_HOST=0.0.0.0 \
    PLAYGROUND_PORT=8000

WORKDIR /srv/playground
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install -e . \
    && useradd --create-home --uid 10001 playground
USER playground

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2).status == 200 else 1)"
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "3"]
