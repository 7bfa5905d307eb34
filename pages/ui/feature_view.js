// The live feature view (pages/ui/feature_view.py): draws one frame of plain arrays (sphereface_viz/frames.py) on a
// canvas, and acknowledges it once drawn, so the server sends the next frame only when this one is on screen.
// No loss math here: every region label arrives from the server, computed by the loss's own logits.
function send(type, extra) { window.parent.postMessage(Object.assign({isStreamlitMessage: true, type}, extra), "*"); }
const stage = document.getElementById("stage"), canvas = document.getElementById("scene");
const titleBox = document.getElementById("title"), legendBox = document.getElementById("legend");
const tip = document.getElementById("tip"), panel = document.getElementById("numbers");
const TYPED = {f4: Float32Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array, u2: Uint16Array, i4: Int32Array};
const GAP = -1;
// read by the tests: renders (frames drawn), the frame on screen, its step and how many points were drawn
window.view = {renders: 0, id: null, step: null, drawnPoints: 0, rotation: null, header: null};

// --- a frame's arrays -------------------------------------------------------------------------------
function decode(header, blob) {
  const buffer = blob.slice().buffer, out = {};  // a copy starts at byte 0: every typed view is aligned
  for (const [name, [dtype, shape, offset]] of Object.entries(header.arrays))
    out[name] = new TYPED[dtype](buffer, offset, shape.reduce((a, b) => a * b, 1));
  for (const name of ["owner", "dashed"]) {
    if (!out[name + "_values"]) continue;
    const values = out[name + "_values"], lengths = out[name + "_lengths"], labels = new Int8Array(
      header.grid.reduce((a, b) => a * b, 1));
    let at = 0;
    for (let k = 0; k < values.length; k++) { labels.fill(values[k], at, at + lengths[k]); at += lengths[k]; }
    out[name] = labels;
  }
  const n = out.labels.length, dim = header.dim, points = new Float32Array(n * dim), unit = header.scale / 32767;
  for (let k = 0; k < n * dim; k++) points[k] = out.points[k] * unit;
  out.points = points;
  const classes = header.seen.length;
  out.unitW = new Float32Array(classes * dim);
  for (let i = 0; i < classes; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += out.weights[i * dim + d] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) out.unitW[i * dim + d] = out.weights[i * dim + d] / norm;
  }
  return out;
}

// --- colours --------------------------------------------------------------------------------------------
function rgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)); }
function rgba(hex, alpha) { return `rgba(${rgb(hex).join(",")},${alpha})`; }
function pastel(hex, white = 0.55) { return rgb(hex).map((v) => Math.round(v + (255 - v) * white)); }
function classColour(h, c) { return h.palette[c % h.palette.length]; }
function regionColour(h, owner) { return owner === GAP ? h.gap : classColour(h, h.seen[owner]); }

// --- state ------------------------------------------------------------------------------------------
let header = null, arrays = null, args = null, hidden = new Set(), store = null;
let drawn = {x: [], y: [], index: []};  // screen positions of the points drawn last, for hover
let rotation = null;                     // 3-D: rows right, up and towards the viewer, in feature coordinates

function normalise(v) { const n = Math.hypot(...v) || 1; return v.map((x) => x / n); }
function cross(a, b) { return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]; }
function dot(a, b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
function looking(eye) {  // the camera of plots.SCENE_EYE: z up, looking at the centre from `eye`
  const back = normalise(eye), right = normalise(cross([0, 0, 1], back));
  return [right, cross(back, right), back];
}
function turnBy(dx, dy) {  // a drag: about the view's up axis by dx, about its right axis by dy (radians)
  const [r, u, b] = rotation, cx = Math.cos(dx), sx = Math.sin(dx), cy = Math.cos(dy), sy = Math.sin(dy);
  const r1 = r.map((v, k) => cx * v - sx * b[k]), b1 = r.map((v, k) => sx * v + cx * b[k]);
  const u2 = u.map((v, k) => cy * v + sy * b1[k]), b2 = u.map((v, k) => -sy * v + cy * b1[k]);
  const right = normalise(r1), back = normalise(cross(right, u2));  // keep it orthonormal
  rotation = [right, cross(back, right), back];
  sessionStorage.setItem(store, JSON.stringify(rotation));
}

// --- drawing ------------------------------------------------------------------------------------------
function fit() {  // canvas pixels for the stage's size, and the drawing's centre and scale
  const ratio = window.devicePixelRatio || 1, w = stage.clientWidth, h = stage.clientHeight;
  if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
    canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio);
    canvas.style.width = w + "px"; canvas.style.height = h + "px";
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return {ctx, cx: w / 2, cy: h / 2, half: Math.min(w, h) / 2};
}

function ring(h) { return h.radius * (h.project ? 1.15 : 1.04); }
function extent(h) {
  return h.kind === "circle" ? ring(h) * 1.22 : h.kind === "sphere" ? h.radius * 1.5 : h.radius;
}

function ray(ctx, cx, cy, angle, length) {
  ctx.moveTo(cx, cy); ctx.lineTo(cx + length * Math.cos(angle), cy - length * Math.sin(angle));
}

function drawCircle(g, h, a) {
  const {ctx, cx, cy} = g, s = g.half / extent(h), R = ring(h) * s, n = a.owner.length, step = 2 * Math.PI / n;
  // runs of one owner around the circle; sample k sits at (k + ½)·step, so a run [i, j) spans i·step … j·step
  let first = 0;
  while (first < n && a.owner[first] === a.owner[(first + n - 1) % n]) first++;
  if (first === n) first = 0;
  const starts = [];
  for (let k = 0; k < n; k++) { const i = (first + k) % n; if (k === 0 || a.owner[i] !== a.owner[(i + n - 1) % n]) starts.push(first + k); }
  starts.forEach((start, k) => {
    const stop = k + 1 < starts.length ? starts[k + 1] : first + n, who = a.owner[start % n];
    const colour = regionColour(h, who), from = start * step, to = stop * step;
    ctx.beginPath(); ctx.moveTo(cx, cy); ctx.arc(cx, cy, R, -from, -to, true); ctx.closePath();
    ctx.fillStyle = rgba(colour, who === GAP ? 0.35 : 0.10); ctx.fill();
    ctx.beginPath(); ctx.arc(cx, cy, R, -from, -to, true);
    ctx.strokeStyle = colour; ctx.lineWidth = 14; ctx.stroke();
  });
  if (starts.length > 1) {
    ctx.beginPath();
    for (const start of starts) ray(ctx, cx, cy, start * step, R * 1.1);
    ctx.strokeStyle = h.ink; ctx.lineWidth = 2.5; ctx.stroke();
  }
  if (a.dashed && !hidden.has("dashed")) {
    ctx.beginPath();
    for (let k = 0; k < n; k++) if (a.dashed[k] !== a.dashed[(k + n - 1) % n]) ray(ctx, cx, cy, k * step, R * 1.1);
    ctx.setLineDash([6, 6]); ctx.strokeStyle = h.ink; ctx.lineWidth = 2; ctx.stroke(); ctx.setLineDash([]);
  }
  return s;
}

function drawPlane(g, h, a) {
  const {ctx, cx, cy} = g, s = g.half / extent(h), [rows, cols] = h.grid;
  const image = new ImageData(cols, rows);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {  // row i is y_i, upwards: the image's row rows−1−i
    const who = a.owner[i * cols + j], at = ((rows - 1 - i) * cols + j) * 4, c = rgb(regionColour(h, who));
    image.data.set([c[0], c[1], c[2], 46], at);
  }
  const cells = document.createElement("canvas");
  cells.width = cols; cells.height = rows;
  cells.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  const side = 2 * h.radius * s * cols / (cols - 1);  // cell centres at ±radius: the image reaches half a cell beyond
  ctx.drawImage(cells, cx - side / 2, cy - side / 2, side, side);
  ctx.beginPath();
  let open = false;
  for (let k = 0; k < a.lines.length; k += 2) {
    const x = a.lines[k], y = a.lines[k + 1];
    if (Number.isNaN(x) || Number.isNaN(y)) { open = false; continue; }
    open ? ctx.lineTo(cx + x * s, cy - y * s) : ctx.moveTo(cx + x * s, cy - y * s);
    open = true;
  }
  ctx.strokeStyle = h.ink; ctx.lineWidth = 2.5; ctx.stroke();
  return s;
}

// The sphere, painted pixel by pixel: each pixel's direction, its cell of the latitude/longitude raster, and the
// label that most of the four nearest cell centres hold, weighted by nearness (edges then run smooth between the
// 2° cells, not in their steps). Pixels whose label differs from the next one's are the boundary.
function paintSphere(h, a, radiusPx) {
  const size = Math.max(1, Math.ceil(2 * radiusPx)), image = new ImageData(size, size), [nLat, nLon] = h.grid;
  const labels = new Int8Array(size * size).fill(-2), dashed = a.dashed ? new Int8Array(size * size).fill(-2) : null;
  const [r, u, b] = rotation, colours = {};
  const colour = (who) => colours[who] || (colours[who] = who === GAP ? rgb(h.gap) : pastel(classColour(h, h.seen[who])));
  const pick = (raster, fi, fj) => {
    const i0 = Math.floor(fi), j0 = Math.floor(fj), ti = fi - i0, tj = fj - j0, votes = new Map();
    for (const [di, dj, w] of [[0, 0, (1 - ti) * (1 - tj)], [1, 0, ti * (1 - tj)], [0, 1, (1 - ti) * tj], [1, 1, ti * tj]]) {
      const i = Math.min(nLat - 1, Math.max(0, i0 + di)), j = ((j0 + dj) % nLon + nLon) % nLon;
      const who = raster[i * nLon + j];
      votes.set(who, (votes.get(who) || 0) + w);
    }
    let best = 0, owner = GAP;
    for (const [who, w] of votes) if (w > best) { best = w; owner = who; }
    return owner;
  };
  for (let py = 0; py < size; py++) for (let px = 0; px < size; px++) {
    const x = (px + 0.5 - radiusPx) / radiusPx, y = (radiusPx - py - 0.5) / radiusPx, d = x * x + y * y;
    if (d > 1) continue;
    const z = Math.sqrt(1 - d), X = x * r[0] + y * u[0] + z * b[0], Y = x * r[1] + y * u[1] + z * b[1];
    const Z = Math.max(-1, Math.min(1, x * r[2] + y * u[2] + z * b[2]));
    const fi = (Math.asin(Z) + Math.PI / 2) / Math.PI * nLat - 0.5, fj = (Math.atan2(Y, X) + Math.PI) / (2 * Math.PI) * nLon - 0.5;
    const at = py * size + px, who = pick(a.owner, fi, fj), c = colour(who);
    labels[at] = who;
    if (dashed) dashed[at] = pick(a.dashed, fi, fj);
    image.data.set([c[0], c[1], c[2], 255], at * 4);
  }
  const ink = rgb(h.ink);
  for (let py = 0; py < size - 1; py++) for (let px = 0; px < size - 1; px++) {
    const at = py * size + px;
    if (labels[at] === -2) continue;
    const edge = (l) => l[at + 1] !== -2 && l[at] !== l[at + 1] || l[at + size] !== -2 && l[at] !== l[at + size];
    if (edge(labels)) image.data.set([ink[0], ink[1], ink[2], 255], at * 4);
    else if (dashed && !hidden.has("dashed") && edge(dashed) && ((px + py) >> 2) % 2 === 0) image.data.set([138, 138, 138, 255], at * 4);
  }
  const painted = document.createElement("canvas");
  painted.width = painted.height = size;
  painted.getContext("2d").putImageData(image, 0, 0);
  return painted;
}

function project3(v) { return [dot(rotation[0], v), dot(rotation[1], v), dot(rotation[2], v)]; }

function drawPoints(g, h, a, s, depth) {  // depth: 3-D, draw only the points behind (−1) or in front (+1)
  const {ctx, cx, cy} = g, dim = h.dim, n = a.labels.length, seen = new Set(h.seen), byClass = new Map();
  for (let k = 0; k < n; k++) {
    const c = a.labels[k];
    if (hidden.has("class" + c)) continue;
    let x = a.points[k * dim], y = a.points[k * dim + 1], front = 1;
    if (dim === 3) {
      const p = project3([x, a.points[k * dim + 1], a.points[k * dim + 2]]);
      x = p[0]; y = p[1]; front = p[2] >= 0 ? 1 : -1;
      if (front !== depth) continue;
    }
    const sx = cx + x * s, sy = cy - y * s;
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c).push(sx, sy);
    if (front > 0) { drawn.x.push(sx); drawn.y.push(sy); drawn.index.push(k); }
  }
  const size = dim === 2 ? 3 : 2.5;
  let count = 0;
  for (const [c, xy] of byClass) {
    ctx.globalAlpha = depth < 0 ? 0.25 : 0.85;
    ctx.fillStyle = ctx.strokeStyle = classColour(h, c);
    ctx.beginPath();
    if (seen.has(c)) {
      for (let k = 0; k < xy.length; k += 2) { ctx.moveTo(xy[k] + size, xy[k + 1]); ctx.arc(xy[k], xy[k + 1], size, 0, 2 * Math.PI); }
      ctx.fill();
      if (dim === 2) { ctx.strokeStyle = "white"; ctx.lineWidth = 0.5; ctx.stroke(); }
    } else {  // a class held out of training: a cross
      for (let k = 0; k < xy.length; k += 2) {
        ctx.moveTo(xy[k] - size, xy[k + 1] - size); ctx.lineTo(xy[k] + size, xy[k + 1] + size);
        ctx.moveTo(xy[k] - size, xy[k + 1] + size); ctx.lineTo(xy[k] + size, xy[k + 1] - size);
      }
      ctx.lineWidth = 1.5; ctx.stroke();
    }
    count += xy.length / 2;
  }
  ctx.globalAlpha = 1;
  return count;
}

function drawWeights(g, h, a, s, depth) {
  if (hidden.has("W")) return;
  const {ctx, cx, cy} = g, dim = h.dim, k = h.seen.length;
  const length = h.kind === "circle" ? ring(h) * 0.92 : h.kind === "plane" ? h.radius * 0.5 : h.radius * h.w_length;
  const font = (args && args.projector ? 21 : 16);
  for (let i = 0; i < k; i++) {
    let v = Array.from(a.unitW.slice(i * dim, i * dim + dim)), from = 0;
    if (dim === 3) {
      v = project3(v);
      if ((v[2] >= 0 ? 1 : -1) !== depth) continue;
      from = h.radius;  // from the sphere's surface: the part inside it is hidden
    }
    const x0 = cx + v[0] * from * s, y0 = cy - v[1] * from * s, x1 = cx + v[0] * length * s, y1 = cy - v[1] * length * s;
    const angle = Math.atan2(y1 - y0, x1 - x0), head = 9;
    ctx.globalAlpha = depth < 0 ? 0.35 : 1;
    ctx.strokeStyle = ctx.fillStyle = h.ink; ctx.lineWidth = 3;
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
    ctx.beginPath(); ctx.moveTo(x1 + head * Math.cos(angle), y1 + head * Math.sin(angle));
    ctx.lineTo(x1 + head * Math.cos(angle + 2.4), y1 + head * Math.sin(angle + 2.4));
    ctx.lineTo(x1 + head * Math.cos(angle - 2.4), y1 + head * Math.sin(angle - 2.4)); ctx.fill();
    // the label beyond the head, away from the centre; on the circle beyond the ring of arcs, which it would hide
    const out = Math.hypot(x1 - cx, y1 - cy) || 1, reach = h.kind === "circle" ? ring(h) * s + 7 + font : out + head + font * 0.8;
    ctx.font = `${font}px sans-serif`; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText("W" + h.seen[i], cx + (x1 - cx) / out * reach, cy + (y1 - cy) / out * reach);
  }
  ctx.globalAlpha = 1;
}

function draw() {
  if (!header) return;
  const g = fit(), h = header, a = arrays;
  drawn = {x: [], y: [], index: []};
  let count = 0;
  if (h.kind === "sphere") {
    if (!rotation) rotation = JSON.parse(sessionStorage.getItem(store) || "null") || looking([0.95, 0.95, 0.6]);
    const s = g.half / extent(h), radiusPx = h.radius * s;
    count += drawPoints(g, h, a, s, -1);
    drawWeights(g, h, a, s, -1);
    g.ctx.globalAlpha = 0.92;  // the points and class vectors behind show faintly through
    g.ctx.drawImage(paintSphere(h, a, radiusPx), g.cx - radiusPx, g.cy - radiusPx);
    g.ctx.globalAlpha = 1;
    count += drawPoints(g, h, a, s, 1);
    drawWeights(g, h, a, s, 1);
  } else {
    const s = h.kind === "circle" ? drawCircle(g, h, a) : drawPlane(g, h, a);
    if (h.kind === "circle" && hidden.has("boundary")) { /* drawn with the regions: the legend hides points only */ }
    count += drawPoints(g, h, a, s, 1);
    drawWeights(g, h, a, s, 1);
  }
  Object.assign(window.view, {drawnPoints: count, rotation, step: h.step});
}

// --- legend and title: real text ------------------------------------------------------------------
function legend(h) {
  const items = [...new Set(Array.from(arrays.labels))].sort((x, y) => x - y).map((c) => ["class" + c, h.classes[c] || String(c), classColour(h, c)]);
  items.push(["W", "W_j", h.ink]);
  if (h.dashed) items.push(["dashed", h.dashed + " (dashed)", "#8A8A8A"]);
  const signature = items.map((i) => i[0] + i[1]).join("|");
  if (legendBox.dataset.signature === signature) return;
  legendBox.dataset.signature = signature;
  legendBox.replaceChildren(...items.map(([key, label, colour]) => {
    const item = document.createElement("span"), swatch = document.createElement("i");
    item.className = "item" + (hidden.has(key) ? " off" : ""); item.dataset.key = key;
    swatch.style.background = colour; item.append(swatch, label);
    item.onclick = () => { hidden.has(key) ? hidden.delete(key) : hidden.add(key); item.classList.toggle("off"); draw(); };
    return item;
  }));
}

// --- hover: which digit is this dot? ----------------------------------------------------------------
function hover(event) {
  const box = canvas.getBoundingClientRect(), mx = event.clientX - box.left, my = event.clientY - box.top;
  let best = -1, bestDistance = 7;
  for (let k = 0; k < drawn.x.length; k++) {
    const d = Math.hypot(drawn.x[k] - mx, drawn.y[k] - my);
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  if (best < 0 || !header) { tip.style.display = "none"; return; }
  const h = header, a = arrays, dim = h.dim, k = drawn.index[best], c = a.labels[k], own = h.seen.indexOf(c);
  const p = Array.from(a.points.slice(k * dim, k * dim + dim)), norm = Math.hypot(...p) || 1;
  const angle = (i) => Math.acos(Math.max(-1, Math.min(1, p.reduce((t, v, d) => t + v * a.unitW[i * dim + d], 0) / norm))) * 180 / Math.PI;
  let text = `class ${h.classes[c] || c}`;
  if (own < 0) text += " (held out, unseen in training)";
  else {
    let near = -1;
    for (let i = 0; i < h.seen.length; i++) if (i !== own && (near < 0 || angle(i) < angle(near))) near = i;
    text += `<br>angle to W${c}: ${angle(own).toFixed(1)}°`;
    if (near >= 0) text += `<br>nearest other: W${h.seen[near]} at ${angle(near).toFixed(1)}°`;
  }
  tip.innerHTML = text;
  tip.style.left = (mx + 14) + "px"; tip.style.top = (my + 14) + "px"; tip.style.display = "block";
}

// --- 3-D: turn the sphere by dragging -----------------------------------------------------------------
let dragging = null, pendingDraw = false;
function redrawSoon() { if (!pendingDraw) { pendingDraw = true; requestAnimationFrame(() => { pendingDraw = false; draw(); }); } }
canvas.addEventListener("mousedown", (e) => { if (header && header.kind === "sphere") dragging = [e.clientX, e.clientY]; });
window.addEventListener("mouseup", () => { dragging = null; });
canvas.addEventListener("mousemove", (e) => {
  if (!dragging) { hover(e); return; }
  const half = Math.min(stage.clientWidth, stage.clientHeight) / 2 / 1.5;  // px per radian at the sphere's edge
  turnBy((e.clientX - dragging[0]) / half, (e.clientY - dragging[1]) / half);
  dragging = [e.clientX, e.clientY];
  tip.style.display = "none";
  redrawSoon();
});
canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; });

// --- numbers beside the chart ----------------------------------------------------------------------
// Made once per set of labels; a redraw changes only the values' text.
function showNumbers(numbers, projector) {
  panel.style.display = !numbers ? "none" : projector ? "grid" : "block";
  if (!numbers) return;
  const labels = numbers.map((n) => n.label).join("\n");
  if (panel.dataset.labels !== labels) {
    panel.replaceChildren(...numbers.map((n) => {
      const row = document.createElement("div"), label = document.createElement("div");
      row.dataset.label = n.label;
      row.className = n.label.length > 14 ? "wide" : "";  // projector: a long label comes with a long value
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

// --- projector: the chart down to the window's bottom edge ----------------------------------------
function fitted(height) {
  try {
    const frame = window.frameElement;
    if (!args || !args.projector || !frame) return height;
    let top = frame.getBoundingClientRect().top;
    for (let el = frame.parentElement; el; el = el.parentElement) top += el.scrollTop;
    return Math.max(360, Math.floor(window.parent.innerHeight - top - 12));
  } catch (e) {
    return height;  // a page of another origin around the frame: the height asked for
  }
}
function size(render) {  // render: Streamlit asks for the frame's height at each render; a refit only on a change
  const height = fitted(args.height), changed = document.body.style.height !== height + "px";
  if (changed) document.body.style.height = height + "px";
  if (changed || render) send("streamlit:setFrameHeight", {height});
  if (changed) draw();
}
try { window.parent.addEventListener("resize", () => args && size(false)); } catch (e) { /* another origin */ }
window.addEventListener("resize", () => draw());
setInterval(() => args && size(false), 500);  // a notice above the chart came or went

// --- Streamlit: draw, then acknowledge ---------------------------------------------------------------
// The acknowledgement reruns the server's live view, which then builds the next frame: frames come as fast
// as this page draws them (at most one per `pace` seconds, the server's share for each student), never queued.
let ackedAt = 0;
function acknowledge(id, pace) {
  const wait = Math.max(0, ackedAt + pace * 1000 - performance.now());
  setTimeout(() => requestAnimationFrame(() => {
    ackedAt = performance.now();
    send("streamlit:setComponentValue", {value: id, dataType: "json"});
  }), wait);
}

window.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  args = msg.args;
  store = "feature_view:" + args.name;
  document.body.classList.toggle("projector", !!args.projector);
  size(true);
  showNumbers(args.numbers, args.projector);
  if (args.id === window.view.id && args.title === window.view.title) return;  // a rerun that had nothing new
  header = args.header; arrays = decode(header, args.blob);
  if (header.kind !== "sphere") rotation = null;
  const title = args.title || header.title;
  window.view.title = args.title;
  titleBox.replaceChildren(...title.split("<br>").flatMap((line, k) => k ? [document.createElement("br"), line] : [line]));
  titleBox.style.display = title ? "block" : "none";
  legendBox.style.display = args.legend === false ? "none" : "flex";
  legend(header);
  draw();
  window.view.renders += 1; window.view.id = args.id; window.view.header = header;
  if (args.pace !== null && args.pace !== undefined) acknowledge(args.id, args.pace);
});
send("streamlit:componentReady", {apiVersion: 1});
