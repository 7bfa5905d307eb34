// The live chart's page (pages/live_chart.py): redraws a plotly figure in place on every Streamlit render.
function send(type, extra) { window.parent.postMessage(Object.assign({isStreamlitMessage: true, type}, extra), "*"); }
const chart = document.getElementById("chart");
let store = null, listening = false;  // store: the sessionStorage key of this chart's camera

// --- 3-D camera ---------------------------------------------------------------------------------
// camera(): the 3-D view as the student sees it now, mid-drag included. uirevision alone loses it when a redraw
// lands during a drag or after a resize (plotly.js #6359, #6156), and with the iframe if it is re-mounted.
function scene() { return chart._fullLayout && chart._fullLayout.scene && chart._fullLayout.scene._scene; }
function camera() { const s = scene(); return s ? s.getCamera() : JSON.parse(sessionStorage.getItem(store) || "null"); }
function keep() { const s = scene(); if (s) sessionStorage.setItem(store, JSON.stringify(s.getCamera())); }

// --- 2-D points on a canvas -----------------------------------------------------------------------
// plotly's SVG scatter spends about 0.1 ms of the browser's CPU per point per redraw (2,000 points: ~250 ms, a
// whole core at four redraws a second); a canvas draws them in a few ms. Marker-only 2-D scatter traces stay in
// the figure, emptied, so the legend still shows and toggles them; their points are drawn here, on a canvas
// between plotly's plot and its legend layer, and their hover text is shown here.
let points = [];  // per trace: {index, x, y, custom, marker, hover, px, py}
const canvas = document.createElement("canvas");
canvas.style.cssText = "position:absolute;left:0;top:0;pointer-events:none";
const tip = document.createElement("div");
tip.style.cssText = "position:absolute;display:none;pointer-events:none;background:#fff;border:1px solid #888;" +
  "padding:4px 8px;font:16px sans-serif;white-space:nowrap;z-index:10";
document.body.appendChild(tip);
const TYPED = {f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array, u2: Uint16Array,
               i4: Int32Array, u4: Uint32Array};

function decode(a) {  // plotly.py sends numpy arrays as {dtype, bdata: base64}
  if (!a || Array.isArray(a) || !a.bdata) return a;
  const bytes = Uint8Array.from(atob(a.bdata), (c) => c.charCodeAt(0));
  return new TYPED[a.dtype](bytes.buffer);
}

function takePoints(fig) {
  points = [];
  fig.data.forEach((t, index) => {
    if ((t.type || "scatter") !== "scatter" || t.mode !== "markers") return;
    points.push({index, x: decode(t.x), y: decode(t.y), custom: decode(t.customdata), marker: t.marker || {},
                 hover: t.hovertemplate || t.name || "", px: [], py: []});
    t.x = [null]; t.y = [null]; delete t.customdata;  // one missing point: plotly hides a trace with none
  });
}

function drawPoints() {
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
  for (const p of points) {
    p.px = []; p.py = [];
    const trace = chart._fullData[p.index];
    if (!trace || trace.visible !== true) continue;
    const m = p.marker, r = (m.size || 6) / 2, line = m.line || {}, cross = String(m.symbol || "").startsWith("x");
    ctx.globalAlpha = m.opacity === undefined ? 1 : m.opacity;
    ctx.fillStyle = ctx.strokeStyle = m.color || "#444";
    for (let k = 0; k < p.x.length; k++) {
      const px = xa._offset + xa.l2p(p.x[k]), py = ya._offset + ya.l2p(p.y[k]);
      p.px.push(px); p.py.push(py);
      ctx.beginPath();
      if (cross) {
        ctx.lineWidth = r / 2;
        ctx.moveTo(px - r, py - r); ctx.lineTo(px + r, py + r); ctx.moveTo(px - r, py + r); ctx.lineTo(px + r, py - r);
        ctx.stroke();
      } else {
        ctx.arc(px, py, r, 0, 2 * Math.PI);
        ctx.fill();
        if (line.width) { ctx.lineWidth = line.width; ctx.strokeStyle = line.color; ctx.stroke(); ctx.strokeStyle = m.color; }
      }
      drawn += 1;
    }
  }
  window.drawnPoints = drawn;  // read by the tests
}

let pending = false;
function schedule() {  // one canvas draw per animation frame, however many plotly redraws asked for it
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; drawPoints(); });
}

function hover(event) {
  const box = chart.getBoundingClientRect(), mx = event.clientX - box.left, my = event.clientY - box.top;
  let best = null, bestDistance = Infinity;
  for (const p of points) {
    const reach = ((p.marker.size || 6) / 2 + 3) ** 2;
    for (let k = 0; k < p.px.length; k++) {
      const d = (p.px[k] - mx) ** 2 + (p.py[k] - my) ** 2;
      if (d <= reach && d < bestDistance) { best = [p, k]; bestDistance = d; }
    }
  }
  if (!best) { tip.style.display = "none"; return; }
  const [p, k] = best, value = p.custom ? p.custom[k] : NaN;
  tip.innerHTML = p.hover.replace(/<extra>.*?<\/extra>/, "").replace(/%\{customdata(:[^}]*)?\}/, value.toFixed(1));
  tip.style.left = (mx + 12) + "px"; tip.style.top = (my + 12) + "px"; tip.style.display = "block";
}
chart.addEventListener("mousemove", hover);
chart.addEventListener("mouseleave", () => { tip.style.display = "none"; });

// --- Streamlit ------------------------------------------------------------------------------------
window.renders = 0;
window.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  const height = msg.args.height;
  store = "live_chart:" + msg.args.name;
  if (msg.args.figure !== window.lastFigure) {  // a busy server re-sends the last frame: nothing to draw
    window.lastFigure = msg.args.figure;
    const fig = JSON.parse(msg.args.figure);
    const view = fig.layout.scene && camera();
    if (view) fig.layout.scene.camera = view;
    takePoints(fig);
    const kind = fig.layout.scene ? "3-D" : "2-D";
    if (chart.dataset.kind && chart.dataset.kind !== kind) {  // a new plot: reacting from a 2-D one left 3-D drags dead
      Plotly.purge(chart);
      listening = false;
    }
    chart.dataset.kind = kind;
    chart.style.height = height + "px";
    // no modebar snapshot: it would save plotly's SVG without the canvas points (the page has its own downloads)
    const config = {responsive: true, displaylogo: false};
    if (points.length) config.modeBarButtonsToRemove = ["toImage"];
    Plotly.react(chart, fig.data, fig.layout, config).then(() => {
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
