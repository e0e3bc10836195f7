#!/usr/bin/env bash
# Maintainer step (never run at install or run time): vendor plotly.js's "cartesian" partial bundle
# (npm package plotly.js-cartesian-dist-min, MIT) at the plotly.js version of the installed Python
# `plotly` package, so the 2-D bundle the pages load first and the full bundle match.
#
#   scripts/update_plotly_partial.sh [PYTHON]     # PYTHON defaults to .venv/bin/python
#
# Needs npm and the network once; writes app/static/vendor/plotly-cartesian-<version>.min.js (with
# its wrapper's factory parenthesised, below) and its LICENSE, and removes older vendored versions. tests/test_transfer.py checks the versions agree.
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
# One change to the bundle, for the page load (docs/transfer.md, "Plotly's compile off the main
# thread"): its UMD wrapper passes the whole bundle as an arrow function, `factory`, that V8 compiles
# lazily, i.e. on the main thread when the wrapper calls it (~1.5 MB parsed there). Wrapped in
# parentheses it is an immediately called function expression to V8, compiled eagerly while the
# file streams in, off the main thread. Nothing else changes (tests/test_transfer.py checks it).
"$python" - "$tmp/package/plotly-cartesian.min.js" "$vendor/plotly-cartesian-${version}.min.js" <<'PY'
import sys

text = open(sys.argv[1], encoding="utf-8").read()
head = '} (typeof self !== "undefined" ? self : this, () => {\n'
tail = "return Plotly;\n}));"
if text.count(head) != 1 or not text.rstrip().endswith(tail):
    sys.exit("the bundle's UMD wrapper is not the expected one: check the parenthesised factory by hand")
text = text.replace(head, head.replace("() => {", "(() => {"))
text = text.rstrip()[: -len("}));")] + "})));"
open(sys.argv[2], "w", encoding="utf-8").write(text)
PY
cp "$tmp/package/LICENSE" "$vendor/plotly-cartesian-LICENSE.txt"
echo "vendored plotly.js cartesian v${version} into $vendor"
