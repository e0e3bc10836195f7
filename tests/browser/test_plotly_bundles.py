"""The pages load the 2-D Plotly bundle (scripts/build_plotly_2d.sh) first, and the full bundle only for the 3-D view.

- ``/`` draws its contour, side charts and paths with the partial bundle: the full bundle is never
  requested for the 2-D view.
- Switching to the 3-D view loads the full bundle once; the main plot then shows the surface
  relief (a ``surface`` trace in a 3-D scene) drawn by it, and back in 2-D the contour is drawn
  again under the paths (the plot's event handlers survived the switch of bundles).
- The Training Lab draws its charts without the full bundle.
"""

from __future__ import annotations

from app.api.static_files import PLOTLY_PARTIAL_URL, PLOTLY_URL

LAB_READY = "#optimizer-lab[data-ready=true]"
TRAIN_READY = "#training-lab[data-ready=true]"
CONTOUR_DRAWN = """() => { const s = document.getElementById('main-surface');
  return Boolean(s && !s.hidden && s.querySelector('g.contourlayer path')); }"""


def bundle_requests(page) -> tuple[int, int]:
    """How many times the page asked for the partial and for the full bundle."""
    urls = [url.split("?")[0] for url in page.requests_made]
    return sum(url.endswith(PLOTLY_PARTIAL_URL) for url in urls), sum(url.endswith(PLOTLY_URL) for url in urls)


def test_the_2d_view_never_loads_the_full_bundle_and_the_3d_view_does(page) -> None:
    page.goto("/")
    page.wait_for_selector(LAB_READY, timeout=30_000)
    page.wait_for_function(CONTOUR_DRAWN, timeout=30_000)
    assert bundle_requests(page) == (1, 0)
    assert page.evaluate("() => document.getElementById('main-plot').data.every(t => t.type === 'scatter')")

    page.check("#view-3d")
    page.wait_for_function(
        """() => { const gd = document.getElementById('main-plot');
                   return (gd.data || []).some(t => t.type === 'surface') && Boolean(gd._fullLayout?.scene)
                          && Boolean(gd.querySelector('.gl-container, .svg-container')); }""",
        timeout=60_000,
    )
    assert bundle_requests(page) == (1, 1)
    assert page.evaluate("() => Boolean(document.querySelector('script[data-plotly-full]'))")
    assert page.is_hidden("#main-surface")
    # the handlers that keep the contour under the paths and pick a start point are on the new plot
    assert page.evaluate(
        """() => ['plotly_afterplot', 'plotly_relayouting', 'plotly_hover', 'plotly_click']
                   .every(e => document.getElementById('main-plot')._ev.listenerCount(e) > 0)"""
    )

    # back to 2-D: the contour is drawn again under the paths, by the full bundle now
    page.uncheck("#view-3d")
    page.wait_for_function(CONTOUR_DRAWN, timeout=30_000)
    page.wait_for_function("() => !document.getElementById('main-plot')._fullLayout.scene")
    assert bundle_requests(page) == (1, 1)


def test_the_training_lab_draws_with_the_partial_bundle(page) -> None:
    page.goto("/training")
    page.wait_for_selector(TRAIN_READY, timeout=30_000)
    page.wait_for_function(
        "() => Boolean(document.querySelector('#training-lab .js-plotly-plot .xaxislayer-above text'))",
        timeout=30_000,
    )
    assert bundle_requests(page) == (1, 0)
