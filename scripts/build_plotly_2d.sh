#!/usr/bin/env bash
# Maintainer step (never run at install or run time): build the 2-D Plotly bundle the pages load
# first, from plotly.js's own sources (npm package plotly.js, MIT) at the plotly.js version of the
# installed Python `plotly` package, with exactly the trace types the pages draw in 2-D. The 3-D
# view loads the installed package's full bundle (shared/plots.js); the two must be one version.
#
#   scripts/build_plotly_2d.sh [PYTHON]     # PYTHON defaults to .venv/bin/python
#
# Needs npm and the network once; writes app/static/vendor/plotly-2d-<version>.min.js and
# plotly-2d-LICENSE.txt (plotly.js's licence and the bundled packages' licence comments).
# Commit both. docs/transfer.md ("A 2-D bundle first, the full bundle only for 3-D") says why this
# bundle and not a published one.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-.venv/bin/python}"
version="$("$python" -c 'from plotly.offline import get_plotlyjs_version; print(get_plotlyjs_version())')"
# The trace types of every 2-D chart of both pages (tests/test_transfer.py checks the bundle
# registers exactly these; tests/browser/test_plotly_bundles.py that the pages never need more).
traces=(scatter bar heatmap contour)
esbuild_version=0.28.2
vendor=app/static/vendor
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund --ignore-scripts \
  "plotly.js@${version}" "esbuild@${esbuild_version}" >/dev/null)
{
  echo "'use strict';"
  echo "// plotly.js's core (with scatter) and the 2-D trace types the pages draw (scripts/build_plotly_2d.sh)."
  echo "var Plotly = require('plotly.js/lib/core');"
  echo "Plotly.register(["
  for trace in "${traces[@]}"; do
    [ "$trace" = scatter ] || echo "  require('plotly.js/lib/${trace}'),"
  done
  echo "]);"
  echo "module.exports = Plotly;"
} >"$tmp/entry.js"
# As plotly.js builds its own bundles (its esbuild-config.js): one IIFE defining the global Plotly.
# The IIFE is a parenthesised arrow function, which V8 compiles eagerly while the file streams
# in, off the main thread (docs/transfer.md, "Plotly's compile off the main thread").
(cd "$tmp" && ./node_modules/.bin/esbuild entry.js --bundle --format=iife --global-name=Plotly --minify \
  --define:global=window --define:define.amd=false --target=es2016 --legal-comments=external \
  --log-level=warning --outfile=bundle.min.js)
find "$vendor" -name 'plotly-2d-*.min.js' ! -name "plotly-2d-${version}.min.js" -delete
{
  printf '/**\n* plotly.js (2-D: %s - minified) v%s\n' "${traces[*]}" "$version"
  printf '* built from plotly.js %s by scripts/build_plotly_2d.sh (esbuild %s)\n' "$version" "$esbuild_version"
  printf '* Copyright 2012-2026, Plotly, Inc.\n* All rights reserved.\n* Licensed under the MIT license\n*/\n'
  cat "$tmp/bundle.min.js"
} >"$vendor/plotly-2d-${version}.min.js"
{
  cat "$tmp/node_modules/plotly.js/LICENSE"
  echo
  cat "$tmp/bundle.min.js.LEGAL.txt"
} >"$vendor/plotly-2d-LICENSE.txt"
echo "built plotly.js 2-D (${traces[*]}) v${version} into $vendor"
