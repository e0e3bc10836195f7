/**
 * surface_image.js — the 2-D surface drawn as an image (filled level bands and contour lines)
 * that the main plot shows through Plotly's `layout.images`.
 *
 * Why not a Plotly `contour` trace: the race redraws paths many times a second with
 * `Plotly.animate` (no full redraw), and Plotly's transitions remove every non-scatter layer of
 * the subplot — the contour would vanish. A layout image is untouched by transitions, so race
 * frames cost only the moving scatter traces.
 *
 *   import { surfaceImage } from "./surface_image.js";
 *   const url = surfaceImage(grid, { filled: true, scale, lineScale });   // a PNG data URL
 *   layout.images = [{ source: url, xref: "x", yref: "y", x: x0, y: y1, sizex, sizey,
 *                      sizing: "stretch", layer: "below" }];
 *
 * `grid` is prepareGrid()'s result: x[n], y[m] evenly spaced, zt[m][n] = fractional level index
 * in [0, L − 1] (null where f is not finite), L = levels.length. Bands are the intervals between
 * consecutive levels (colour by band), lines are drawn at every level by marching squares.
 */

/** Parse "#rrggbb" into [r, g, b]. */
function rgb(hex) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [128, 128, 128];
}

/**
 * Colour of a Plotly-style scale [[0, "#hex"], …, [1, "#hex"]] at t ∈ [0, 1] (linear in RGB).
 * @returns {[number, number, number]}
 */
export function scaleColour(scale, t) {
  const u = Math.min(1, Math.max(0, t));
  for (let i = 1; i < scale.length; i += 1) {
    const [t1, c1] = scale[i];
    if (u <= t1 || i === scale.length - 1) {
      const [t0, c0] = scale[i - 1];
      const w = t1 > t0 ? (u - t0) / (t1 - t0) : 0;
      const a = rgb(c0);
      const b = rgb(c1);
      return [0, 1, 2].map((k) => Math.round(a[k] + w * (b[k] - a[k])));
    }
  }
  return rgb(scale[scale.length - 1][1]);
}

/** Bilinear value of zt at fractional grid position (gi along x, gj along y); null if any corner is null. */
function sample(zt, n, m, gi, gj) {
  const i0 = Math.min(n - 2, Math.max(0, Math.floor(gi)));
  const j0 = Math.min(m - 2, Math.max(0, Math.floor(gj)));
  const u = Math.min(1, Math.max(0, gi - i0));
  const v = Math.min(1, Math.max(0, gj - j0));
  const r0 = zt[j0];
  const r1 = zt[j0 + 1];
  const a = r0[i0];
  const b = r0[i0 + 1];
  const c = r1[i0];
  const d = r1[i0 + 1];
  if (a === null || b === null || c === null || d === null) return null;
  return (1 - v) * ((1 - u) * a + u * b) + v * ((1 - u) * c + u * d);
}

// Marching squares: for a cell with corners a (x0,y0) b (x1,y0) c (x0,y1) d (x1,y1) and level t,
// the contour crosses each edge whose end values straddle t, at the linearly interpolated point.
function cellSegments(a, b, c, d, t) {
  const pts = [];
  const cross = (p, q, pv, qv) => {
    if ((pv < t) !== (qv < t)) {
      const w = (t - pv) / (qv - pv);
      pts.push([p[0] + w * (q[0] - p[0]), p[1] + w * (q[1] - p[1])]);
    }
  };
  cross([0, 0], [1, 0], a, b); // bottom edge (row j)
  cross([1, 0], [1, 1], b, d); // right edge
  cross([1, 1], [0, 1], d, c); // top edge (row j+1)
  cross([0, 1], [0, 0], c, a); // left edge
  if (pts.length === 2) return [[pts[0], pts[1]]];
  if (pts.length === 4) {
    // saddle cell: pair the crossings using the centre value to decide the connection
    const centre = (a + b + c + d) / 4;
    return centre < t === a < t
      ? [[pts[0], pts[3]], [pts[1], pts[2]]]
      : [[pts[0], pts[1]], [pts[2], pts[3]]];
  }
  return [];
}

/**
 * Render the surface to a PNG data URL.
 * @param {object} grid prepareGrid() output (x, y, zt, levels)
 * @param {{filled: boolean, scale: Array, lineScale: Array, size?: number}} options
 *   scale: colour scale of the bands (filled); lineScale: colours of lines when not filled
 * @returns {string}
 */
export function surfaceImage(grid, { filled, scale, lineScale, size = 900 }) {
  const n = grid.x.length;
  const m = grid.y.length;
  const L = grid.levels.length;
  const W = size;
  const H = size;
  const canvas = document.createElement("canvas");
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext("2d");
  const zt = grid.zt;

  if (filled) {
    const bands = Math.max(1, L - 1);
    const palette = Array.from({ length: bands }, (_, b) => scaleColour(scale, bands === 1 ? 0.5 : b / (bands - 1)));
    const image = ctx.createImageData(W, H);
    const data = image.data;
    for (let py = 0; py < H; py += 1) {
      // canvas row 0 is the top of the plot: y = y_max
      const gj = ((H - 1 - py + 0.5) / H) * (m - 1);
      for (let px = 0; px < W; px += 1) {
        const gi = ((px + 0.5) / W) * (n - 1);
        const v = sample(zt, n, m, gi, gj);
        const o = 4 * (py * W + px);
        if (v === null) {
          data[o + 3] = 0;
          continue;
        }
        const band = Math.min(bands - 1, Math.max(0, Math.floor(v)));
        const c = palette[band];
        data[o] = c[0];
        data[o + 1] = c[1];
        data[o + 2] = c[2];
        data[o + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
  } else {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, W, H);
  }

  // contour lines at every level (integer index), one path per level
  const sx = W / (n - 1);
  const sy = H / (m - 1);
  const byLevel = Array.from({ length: L }, () => []);
  for (let j = 0; j < m - 1; j += 1) {
    for (let i = 0; i < n - 1; i += 1) {
      const a = zt[j][i];
      const b = zt[j][i + 1];
      const c = zt[j + 1][i];
      const d = zt[j + 1][i + 1];
      if (a === null || b === null || c === null || d === null) continue;
      const lo = Math.min(a, b, c, d);
      const hi = Math.max(a, b, c, d);
      for (let t = Math.max(0, Math.ceil(lo)); t <= Math.min(L - 1, Math.floor(hi)); t += 1) {
        if (t === lo && t === hi) continue;
        for (const [p, q] of cellSegments(a, b, c, d, t)) {
          byLevel[t].push((i + p[0]) * sx, H - (j + p[1]) * sy, (i + q[0]) * sx, H - (j + q[1]) * sy);
        }
      }
    }
  }
  ctx.lineCap = "round";
  byLevel.forEach((segs, t) => {
    if (!segs.length) return;
    if (filled) {
      ctx.strokeStyle = "rgba(55, 65, 85, 0.38)";
      ctx.lineWidth = 1.4;
    } else {
      const [r, g, b] = scaleColour(lineScale, L > 1 ? t / (L - 1) : 0.5);
      ctx.strokeStyle = `rgb(${r}, ${g}, ${b})`;
      ctx.lineWidth = 2.4;
    }
    ctx.beginPath();
    for (let k = 0; k < segs.length; k += 4) {
      ctx.moveTo(segs[k], segs[k + 1]);
      ctx.lineTo(segs[k + 2], segs[k + 3]);
    }
    ctx.stroke();
  });
  return canvas.toDataURL("image/png");
}
