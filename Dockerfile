# Slim image running Optimizer Playground as a non-root user on 0.0.0.0:8000.
# The app is installed as a regular (non-editable) package, the same wheel `pip install .` builds;
# the source copy is removed afterwards, so the image runs exactly what the package ships.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PLAYGROUND_HOST=0.0.0.0 \
    PLAYGROUND_PORT=8000

COPY pyproject.toml README.md /tmp/src/
COPY app /tmp/src/app
RUN pip install /tmp/src \
    && rm -rf /tmp/src \
    && useradd --create-home --uid 10001 playground
USER playground
WORKDIR /home/playground

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os, sys, urllib.request; port = os.environ.get('PLAYGROUND_PORT', '8000'); sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:' + port + '/api/health', timeout=2).status == 200 else 1)"
# Host and port come from PLAYGROUND_HOST / PLAYGROUND_PORT above (`docker run -e PLAYGROUND_PORT=…`).
CMD ["optimizer-playground"]
