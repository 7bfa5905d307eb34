// The live chart's page (pages/ui/live_chart.py): redraws a plotly figure in place on every Streamlit render.
function send(type, extra) { window.parent.postMessage(Object.assign({isStreamlitMessage: true, type}, extra), "*"); }
const chart = document.getElementById("chart");
let store = null, listening = false;  // store: the sessionStorage key of this chart's camera

// --- 3-D camera ---------------------------------------------------------------------------------
// camera(): the 3-D view as the student sees it now, mid-drag included. uirevision alone loses it when a redraw
// lands during a drag or after a resize (plotly.js #6359, #6156), and with the iframe if it is re-mounted.
function scene() { return chart._fullLayout && chart._fullLayout.scene && chart._fullLayout.scene._scene; }
function camera() { const s = scene(); return s ? s.getCamera() : JSON.parse(sessionStorage.getItem(store) || "null"); }
function keep() { const s = scene(); if (s) sessionStorage.setItem(store, JSON.stringify(s.getCamera())); }

// --- 2-D traces on a canvas ------------------------------------------------------------------------
// plotly.js pays per trace and per point on every redraw: its SVG scatter cost about 0.1 ms of the browser's CPU
// per point (2,000 points: ~250 ms, a whole core at four redraws a second) and ~2.5 ms per trace, and a feature
// figure has ~36 traces (a wedge and an arc per class). A canvas draws them all in a few ms. So 2-D scatter
// traces are drawn here, in figure order, on a canvas between plotly's plot (axes) and its legend layer; plotly
// keeps one missing point of each trace the legend lists, so the legend still shows and toggles it, and drops
// the rest. Marker-only traces always come here; lines, fills and text only in a figure with a single pair of
// axes (the canvas maps through xaxis and yaxis), so the history chart's two panels stay plotly's. Hover text
// of drawn traces is shown here too.
// shapes: per drawn trace, its data (x, y, custom, text), style (mode, fill, line, marker, textfont), hover text, the
// index of the plotly trace whose legend entry shows or hides it, and the pixels of its last draw (px, py, lines)
let shapes = [];
const canvas = document.createElement("canvas");
canvas.style.cssText = "position:absolute;left:0;top:0;pointer-events:none";
const tip = document.createElement("div");
tip.style.cssText = "position:absolute;display:none;pointer-events:none;background:#fff;border:1px solid #888;" +
  "padding:4px 8px;font:16px sans-serif;white-space:nowrap;z-index:10";
document.body.appendChild(tip);
const TYPED = {f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array, u2: Uint16Array,
               i4: Int32Array, u4: Uint32Array};
const DASH = {dot: 1, dash: 3, longdash: 5};  // plotly.js: dashes of k·max(width, 3) px, gaps as long

function decode(a) {  // plotly.py sends numpy arrays as {dtype, bdata: base64}
  if (!a || Array.isArray(a) || !a.bdata) return a;
  const bytes = Uint8Array.from(atob(a.bdata), (c) => c.charCodeAt(0));
  return new TYPED[a.dtype](bytes.buffer);
}

// One array for every placeholder, in every frame: Plotly.react takes an array it already has for unchanged data
// (it compares arrays by identity), so a redraw whose legend is the same skips plotly's per-trace calc and plot.
const MISSING = Object.freeze([null]);

function takeShapes(fig) {
  const single = !Object.keys(fig.layout).some((k) => /^[xy]axis\d/.test(k));
  const kept = [], groups = {};
  shapes = [];
  for (const t of fig.data) {
    const mode = t.mode || "lines";
    if ((t.type || "scatter") !== "scatter" || (mode !== "markers" && !single)) { kept.push(t); continue; }
    const shape = {x: decode(t.x), y: decode(t.y), custom: decode(t.customdata), text: t.text, mode,
                   fill: t.fill === "toself" ? t.fillcolor : null, line: t.line || {}, marker: t.marker || {},
                   textfont: Object.assign({}, fig.layout.font, t.textfont), group: t.legendgroup,
                   hover: t.hoverinfo === "skip" ? null : t.hovertemplate || t.name || "", px: [], py: []};
    shapes.push(shape);
    if (t.showlegend === false) continue;  // nothing of it left for plotly to show
    shape.index = kept.length;
    if (t.legendgroup !== undefined) groups[t.legendgroup] = kept.length;
    kept.push(Object.assign(t, {x: MISSING, y: MISSING, customdata: undefined, text: undefined}));
  }
  for (const s of shapes) if (s.index === undefined && s.group in groups) s.index = groups[s.group];
  fig.data = kept;
}

function pixel(axis, value) { return axis._offset + axis.l2p(value); }

function pieces(s, xa, ya) {  // pixel polylines, split where x or y is missing (null or NaN)
  const out = [];
  let piece = [];
  for (let k = 0; k < s.x.length; k++) {
    if (s.x[k] === null || s.y[k] === null || Number.isNaN(s.x[k]) || Number.isNaN(s.y[k])) {
      if (piece.length) out.push(piece);
      piece = [];
    } else piece.push([pixel(xa, s.x[k]), pixel(ya, s.y[k])]);
  }
  if (piece.length) out.push(piece);
  return out;
}

function trace(ctx, piece, close) {
  ctx.beginPath();
  piece.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  if (close) ctx.closePath();
}

function marker(ctx, s, k, px, py) {
  const m = s.marker, r = (m.size || 6) / 2, symbol = String(m.symbol || "circle"), line = m.line || {};
  ctx.beginPath();
  if (symbol.startsWith("x")) {
    ctx.lineWidth = r / 2;
    ctx.moveTo(px - r, py - r); ctx.lineTo(px + r, py + r); ctx.moveTo(px - r, py + r); ctx.lineTo(px + r, py - r);
    ctx.stroke();
    return;
  }
  if (symbol === "arrow") {  // plotly's arrow: a head pointing up, turned clockwise by `angle` degrees
    const angle = (Array.isArray(m.angle) ? m.angle[k] : m.angle || 0) * Math.PI / 180;
    ctx.save(); ctx.translate(px, py); ctx.rotate(angle);
    ctx.moveTo(0, -r); ctx.lineTo(0.8 * r, r); ctx.lineTo(-0.8 * r, r); ctx.closePath(); ctx.fill();
    ctx.restore();
    return;
  }
  ctx.arc(px, py, r, 0, 2 * Math.PI);
  ctx.fill();
  if (line.width) { ctx.lineWidth = line.width; ctx.strokeStyle = line.color; ctx.stroke(); ctx.strokeStyle = m.color; }
}

function drawShapes() {
  const full = chart._fullLayout;
  if (!full || !full.xaxis || !full.yaxis) { canvas.remove(); return; }
  const host = chart.querySelector(".svg-container"), svg = host && host.querySelector(".main-svg");
  if (!svg) return;
  if (canvas.previousSibling !== svg) svg.after(canvas);
  const ratio = window.devicePixelRatio || 1, xa = full.xaxis, ya = full.yaxis;
  canvas.width = full.width * ratio; canvas.height = full.height * ratio;
  canvas.style.width = full.width + "px"; canvas.style.height = full.height + "px";
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.beginPath(); ctx.rect(xa._offset, ya._offset, xa._length, ya._length); ctx.clip();
  let drawn = 0;
  for (const s of shapes) {
    s.px = []; s.py = []; s.lines = [];
    const owner = s.index === undefined ? null : chart._fullData[s.index];
    if (owner && owner.visible !== true) continue;
    const line = s.line, m = s.marker;
    ctx.globalAlpha = 1;
    if (s.fill) {
      ctx.fillStyle = s.fill;
      for (const piece of pieces(s, xa, ya)) { trace(ctx, piece, true); ctx.fill(); }
    }
    if (s.mode.includes("lines") && line.width !== 0) {
      const width = line.width === undefined ? 2 : line.width, dash = DASH[line.dash] * Math.max(width, 3);
      ctx.strokeStyle = line.color || "#444"; ctx.lineWidth = width; ctx.lineJoin = "round";
      ctx.setLineDash(dash ? [dash, dash] : []);
      s.lines = pieces(s, xa, ya);
      for (const piece of s.lines) { trace(ctx, piece, false); ctx.stroke(); }
      ctx.setLineDash([]);
    }
    if (s.mode.includes("markers") || s.mode.includes("text")) {
      for (let k = 0; k < s.x.length; k++) { s.px.push(pixel(xa, s.x[k])); s.py.push(pixel(ya, s.y[k])); }
    }
    if (s.mode.includes("markers")) {
      ctx.globalAlpha = m.opacity === undefined ? 1 : m.opacity;
      ctx.fillStyle = ctx.strokeStyle = m.color || "#444";
      for (let k = 0; k < s.px.length; k++) marker(ctx, s, k, s.px[k], s.py[k]);
      drawn += s.px.length;
    }
    if (s.mode.includes("text") && s.text) {  // plotly's "top center": centred, above the marker
      const f = s.textfont;
      ctx.globalAlpha = 1; ctx.fillStyle = f.color || "#444"; ctx.font = `${f.size || 12}px ${f.family || "sans-serif"}`;
      ctx.textAlign = "center"; ctx.textBaseline = "bottom";
      const lift = s.mode.includes("markers") ? (m.size || 6) / 2 + 2 : 0;
      for (let k = 0; k < s.px.length; k++) ctx.fillText(s.text[k], s.px[k], s.py[k] - lift);
    }
  }
  window.drawnPoints = drawn;  // read by the tests
}

let pending = false;
function schedule() {  // one canvas draw per animation frame, however many plotly redraws asked for it
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; drawShapes(); });
}

function segmentDistance(x, y, [ax, ay], [bx, by]) {
  const dx = bx - ax, dy = by - ay, along = dx || dy ? ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy) : 0;
  const t = Math.max(0, Math.min(1, along));
  return Math.hypot(x - ax - t * dx, y - ay - t * dy);
}

function hit(mx, my) {  // the nearest marker under the mouse, else the topmost line under it
  let best = null, bestDistance = Infinity;
  for (const s of shapes) {
    if (s.hover === null || !s.mode.includes("markers")) continue;
    const reach = (s.marker.size || 6) / 2 + 3;
    for (let k = 0; k < s.px.length; k++) {
      const d = Math.hypot(s.px[k] - mx, s.py[k] - my);
      if (d <= reach && d < bestDistance) { best = [s, k]; bestDistance = d; }
    }
  }
  if (best) return best;
  for (const s of shapes.slice().reverse()) {
    if (s.hover === null) continue;
    const reach = (s.line.width || 2) / 2 + 2;
    for (const piece of s.lines || [])
      for (let k = 1; k < piece.length; k++) if (segmentDistance(mx, my, piece[k - 1], piece[k]) <= reach) return [s, -1];
  }
  return null;
}

function hover(event) {
  const box = chart.getBoundingClientRect(), mx = event.clientX - box.left, my = event.clientY - box.top;
  const found = hit(mx, my);
  if (!found) { tip.style.display = "none"; return; }
  const [s, k] = found, value = s.custom && k >= 0 ? s.custom[k] : NaN, text = s.text && k >= 0 ? s.text[k] : "";
  tip.innerHTML = s.hover.replace(/<extra>.*?<\/extra>/, "").replace(/%\{customdata(:[^}]*)?\}/, value.toFixed(1))
    .replace(/%\{text\}/, text);
  tip.style.left = (mx + 12) + "px"; tip.style.top = (my + 12) + "px"; tip.style.display = "block";
}
chart.addEventListener("mousemove", hover);
chart.addEventListener("mouseleave", () => { tip.style.display = "none"; });

// --- numbers beside the chart ----------------------------------------------------------------------
// Made once per set of labels; a redraw changes only the values' text.
const panel = document.getElementById("numbers");
function showNumbers(numbers, projector) {
  panel.style.display = !numbers ? "none" : projector ? "grid" : "block";
  if (!numbers) return;
  const labels = numbers.map((n) => n.label).join("\n");
  if (panel.dataset.labels !== labels) {
    panel.replaceChildren(...numbers.map((n) => {
      const row = document.createElement("div"), label = document.createElement("div");
      row.dataset.label = n.label;
      // projector: two columns, but a long label (Intra, Inter, the criteria) comes with a long value: both
      row.className = n.label.length > 14 ? "wide" : "";
      label.className = "label"; label.textContent = n.label;
      if (n.help) {
        const help = document.createElement("span");
        help.className = "help"; help.textContent = "?"; help.title = n.help;
        label.appendChild(help);
      }
      const value = document.createElement("div");
      value.className = "value";
      row.append(label, value);
      return row;
    }));
    panel.dataset.labels = labels;
  }
  numbers.forEach((n, k) => {
    const row = panel.children[k];
    if (row.lastChild.textContent !== n.value) row.lastChild.textContent = n.value;
    const help = row.querySelector(".help");
    if (help && help.title !== n.help) help.title = n.help;
  });
}

// --- projector: the chart down to the window's bottom edge ---------------------------------------------
// Wherever the chart starts (a notice above it moves it down), it ends just above the bottom of the window: the
// room sees all of it without a scroll. The frame's place in the page is its place on screen plus every scroll above.
let projected = null;  // the last render's arguments, while in the projector view
function fitted(height) {
  try {
    const frame = window.frameElement;
    if (!projected || !frame) return height;
    let top = frame.getBoundingClientRect().top;
    for (let el = frame.parentElement; el; el = el.parentElement) top += el.scrollTop;
    return Math.max(360, Math.floor(window.parent.innerHeight - top - 12));
  } catch (e) {
    return height;  // a page of another origin around the frame: the height asked for
  }
}
function refit() {
  if (!projected) return;
  const height = fitted(projected.height);
  if (chart.style.height === height + "px") return;
  chart.style.height = height + "px";
  send("streamlit:setFrameHeight", {height});
}
try {
  window.parent.addEventListener("resize", refit);
} catch (e) { /* another origin: no resizes to follow */ }
setInterval(refit, 500);  // a notice above the chart came or went after the last render had measured

// --- Streamlit ------------------------------------------------------------------------------------
// no modebar snapshot with a canvas: it would save plotly's SVG without it (the page has its own downloads)
const CONFIG = {responsive: true, displaylogo: false};
const CANVAS_CONFIG = Object.assign({modeBarButtonsToRemove: ["toImage"]}, CONFIG);
window.renders = 0;
window.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  projected = msg.args.projector ? msg.args : null;
  const height = fitted(msg.args.height);
  chart.style.height = height + "px";  // before plotly sizes itself to it
  store = "live_chart:" + msg.args.name;
  document.body.classList.toggle("projector", !!msg.args.projector);
  showNumbers(msg.args.numbers, msg.args.projector);
  if (msg.args.figure !== window.lastFigure) {  // a busy server re-sends the last frame: nothing to draw
    window.lastFigure = msg.args.figure;
    const fig = JSON.parse(msg.args.figure);
    const view = fig.layout.scene && camera();
    if (view) fig.layout.scene.camera = view;
    takeShapes(fig);
    const hoverFont = fig.layout.hoverlabel && fig.layout.hoverlabel.font;  // the canvas's hover text, as plotly's
    tip.style.fontSize = (hoverFont && hoverFont.size || 16) + "px";
    const kind = fig.layout.scene ? "3-D" : "2-D";
    if (chart.dataset.kind && chart.dataset.kind !== kind) {  // a new plot: reacting from a 2-D one left 3-D drags dead
      Plotly.purge(chart);
      listening = false;
    }
    chart.dataset.kind = kind;
    Plotly.react(chart, fig.data, fig.layout, shapes.length ? CANVAS_CONFIG : CONFIG).then(() => {
      if (!listening) {
        chart.on("plotly_relayout", keep);  // the end of each drag or zoom
        chart.on("plotly_afterplot", schedule);  // zooms, resizes and legend clicks move or hide points
        listening = true;
      }
      schedule();
    });
    window.renders += 1;
    document.body.dataset.renders = window.renders;  // read by the browser tests
  }
  send("streamlit:setFrameHeight", {height});
});
send("streamlit:componentReady", {apiVersion: 1});
