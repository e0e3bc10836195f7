"""How the pages boot (issue 9, point 5: first contour < 1 s; docs/transfer.md, "Page boot").

- The boot's catalogue GETs are sent once each, by ``shared/early_requests.js`` (the page names
  them in its HTML), and the page uses those answers: none is asked for twice.
- The Optimizer Lab asks for the contour grid once (the boot's early request is the one the first
  render uses), draws the contour before any other chart (``holdDraws``: the side charts, the
  sweep and the map come after it) and hides its plain-HTML "Loading…" then.
- The first contour is drawn before the main plot (its axes, legend and markers): in the box the
  main plot's layout declares, without colour bar and hover text. Once the main plot is drawn
  the surface plot lies exactly under its plot area, with its colour bar and its hover text.
- The Training Lab draws its loss chart before its other charts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LAB_READY = "#optimizer-lab[data-ready=true]"
TRAIN_READY = "#training-lab[data-ready=true]"

# When each plot first appears (performance.now()), recorded from the start of the page.
FIRST_SEEN = """
window.__firstSeen = {};
new MutationObserver(() => {
  const seen = window.__firstSeen;
  const mark = (name, selector) => {
    if (!(name in seen) && document.querySelector(selector)) seen[name] = performance.now();
  };
  mark('contour', '#main-surface g.contourlayer path');
  const plots = ['loss-plot', 'lr-plot', 'distance-plot', 'sweep-plot', 'map-plot', 'acc-plot', 'hist-plot'];
  for (const id of plots) mark(id, `#${id} .main-svg`);
  mark('loss-axes', '#loss-plot .xaxislayer-above text');
  mark('main-axes', '#main-plot .xaxislayer-above text');
  mark('colour-bar', '#main-surface .colorbar');
}).observe(document, { subtree: true, childList: true });
"""


def paths(page) -> list[str]:
    """Path and query of every request the page made."""
    out = []
    for url in page.requests_made:
        parts = urlsplit(url)
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def test_the_optimizer_lab_asks_once_for_everything_and_draws_the_contour_first(page) -> None:
    page.add_init_script(FIRST_SEEN)
    page.goto("/")
    page.wait_for_selector(LAB_READY, timeout=30_000)
    charts = ["loss-plot", "lr-plot", "distance-plot", "sweep-plot", "map-plot"]
    page.wait_for_function(
        "() => ['contour', " + ", ".join(f"'{c}'" for c in charts) + "].every(k => k in window.__firstSeen)",
        timeout=30_000,
    )
    asked = paths(page)
    for url in ("/api/surfaces", "/api/optimizers", "/api/schedules", "/api/limits", "/api/lab/catalogue"):
        assert asked.count(url) == 1, url
    assert sum("/grid?" in url for url in asked) == 1
    seen = page.evaluate("() => window.__firstSeen")
    assert all(seen["contour"] <= seen[c] for c in charts), seen
    assert page.evaluate("() => document.getElementById('main-loading').hidden")


def test_the_first_contour_comes_before_the_main_plot_and_then_lies_exactly_under_it(page) -> None:
    page.add_init_script(FIRST_SEEN)
    page.goto("/?lang=en")
    page.wait_for_selector(LAB_READY, timeout=30_000)
    page.wait_for_function(
        "() => ['contour', 'main-axes', 'colour-bar'].every(k => k in window.__firstSeen)", timeout=30_000
    )
    seen = page.evaluate("() => window.__firstSeen")
    # the surface first; the main plot's axes and the colour bar come with the main plot's draw
    assert seen["contour"] < seen["main-axes"], seen
    assert seen["contour"] < seen["colour-bar"], seen
    # settled: the same plot area (after the main plot's automargin), the same ranges, the colour
    # bar and the hover text (f at each grid point) on the surface trace
    page.wait_for_function(
        """() => {
          const main = document.getElementById('main-plot')._fullLayout;
          const surface = document.getElementById('main-surface')._fullLayout;
          if (!main || !surface) return false;
          const same = (a, b) => Math.abs(a - b) < 0.5;
          return ['l', 'r', 't', 'b', 'w', 'h'].every((k) => same(main._size[k], surface._size[k]))
            && ['xaxis', 'yaxis'].every((ax) => main[ax].range.every((v, i) => same(v, surface[ax].range[i])));
        }""",
        timeout=30_000,
    )
    trace = page.evaluate(
        "() => { const d = document.getElementById('main-surface').data[0];"
        " return { showscale: d.showscale, text: Array.isArray(d.text) && d.text.length, kind: d.meta.kind }; }"
    )
    assert trace["showscale"] is not False and trace["text"] > 0 and trace["kind"] == "surface", trace


def test_the_training_lab_asks_once_for_its_catalogues_and_draws_the_loss_chart_first(page) -> None:
    page.add_init_script(FIRST_SEEN)
    page.goto("/training")
    page.wait_for_selector(TRAIN_READY, timeout=30_000)
    charts = ["acc-plot", "hist-plot"]
    page.wait_for_function(
        "() => ['loss-axes', " + ", ".join(f"'{c}'" for c in charts) + "].every(k => k in window.__firstSeen)",
        timeout=30_000,
    )
    asked = paths(page)
    for url in (
        "/api/datasets",
        "/api/optimizers",
        "/api/schedules",
        "/api/training/catalogue",
        "/api/searches/catalogue",
    ):
        assert asked.count(url) == 1, url
    seen = page.evaluate("() => window.__firstSeen")
    assert all(seen["loss-plot"] <= seen[c] for c in charts), seen
