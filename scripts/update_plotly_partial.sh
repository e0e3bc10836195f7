#!/usr/bin/env bash
# Maintainer step (never run at install or run time): vendor plotly.js's "cartesian" partial bundle
# (npm package plotly.js-cartesian-dist-min, MIT) at the plotly.js version of the installed Python
# `plotly` package, so the 2-D bundle the pages load first and the full bundle match.
#
#   scripts/update_plotly_partial.sh [PYTHON]     # PYTHON defaults to .venv/bin/python
#
# Needs npm and the network once; writes app/static/vendor/plotly-cartesian-<version>.min.js and
# its LICENSE, and removes older vendored versions. tests/test_transfer.py checks the versions agree.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:-.venv/bin/python}"
version="$("$python" -c 'from plotly.offline import get_plotlyjs_version; print(get_plotlyjs_version())')"
vendor=app/static/vendor
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "plotly.js-cartesian-dist-min@${version}" >/dev/null && tar xzf ./*.tgz)
head -c 200 "$tmp/package/plotly-cartesian.min.js" | grep -q "v${version}$" || {
  echo "the npm bundle does not say plotly.js v${version}" >&2
  exit 1
}
find "$vendor" -name 'plotly-cartesian-*.min.js' ! -name "plotly-cartesian-${version}.min.js" -delete
cp "$tmp/package/plotly-cartesian.min.js" "$vendor/plotly-cartesian-${version}.min.js"
cp "$tmp/package/LICENSE" "$vendor/plotly-cartesian-LICENSE.txt"
echo "vendored plotly.js cartesian v${version} into $vendor"
