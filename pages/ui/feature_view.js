// The live feature view (pages/ui/feature_view.py): draws one frame of plain arrays (sphereface_viz/frames.py) on a
// canvas. While playing it fetches the next frame from its feed once this one is on screen (pages/ui/feed_route.py);
// while paused, frames come in the page's arguments.
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
  out.marks = out.marks || new Float32Array(0);
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

function mapped() { return args && args.projection === "map"; }
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

// The sphere, painted pixel by pixel: each pixel's direction (`direction(px, py)`: [x, y, z], or null off the
// picture), its cell of the latitude/longitude raster, and the label that most of the four nearest cell centres
// hold, weighted by nearness (edges then run smooth between the 2° cells, not in their steps). Pixels whose label
// differs from the next one's are the boundary. Which cells and weights a pixel reads depends only on the picture's
// size and turn, so it is worked out once for them (`sampling`) and each frame only votes.
let sampled = null;
function sampling(key, width, height, [nLat, nLon], direction) {
  if (sampled && sampled.key === key) return sampled;
  const pixels = [], cells = [], weights = [];
  for (let py = 0; py < height; py++) for (let px = 0; px < width; px++) {
    const d = direction(px + 0.5, py + 0.5);
    if (!d) continue;
    const Z = Math.max(-1, Math.min(1, d[2]));
    const fi = (Math.asin(Z) + Math.PI / 2) / Math.PI * nLat - 0.5, fj = (Math.atan2(d[1], d[0]) + Math.PI) / (2 * Math.PI) * nLon - 0.5;
    const i0 = Math.floor(fi), j0 = Math.floor(fj), ti = fi - i0, tj = fj - j0;
    pixels.push(py * width + px);
    for (const [di, dj, w] of [[0, 0, (1 - ti) * (1 - tj)], [1, 0, ti * (1 - tj)], [0, 1, (1 - ti) * tj], [1, 1, ti * tj]]) {
      const i = Math.min(nLat - 1, Math.max(0, i0 + di)), j = ((j0 + dj) % nLon + nLon) % nLon;
      cells.push(i * nLon + j); weights.push(w);
    }
  }
  sampled = {key, pixels: Int32Array.from(pixels), cells: Int32Array.from(cells), weights: Float32Array.from(weights)};
  return sampled;
}

// The label with the largest summed weight among a pixel's four cells; a tie goes to the cell read first.
function vote(raster, cells, weights, k) {
  const l0 = raster[cells[k]], l1 = raster[cells[k + 1]], l2 = raster[cells[k + 2]], l3 = raster[cells[k + 3]];
  const w0 = weights[k], w1 = weights[k + 1], w2 = weights[k + 2], w3 = weights[k + 3];
  const t0 = w0 + (l1 === l0 ? w1 : 0) + (l2 === l0 ? w2 : 0) + (l3 === l0 ? w3 : 0);
  const t1 = w1 + (l2 === l1 ? w2 : 0) + (l3 === l1 ? w3 : 0);
  const t2 = w2 + (l3 === l2 ? w3 : 0);
  let best = t0, owner = l0;
  if (l1 !== l0 && t1 > best) { best = t1; owner = l1; }
  if (l2 !== l0 && l2 !== l1 && t2 > best) { best = t2; owner = l2; }
  if (l3 !== l0 && l3 !== l1 && l3 !== l2 && w3 > best) owner = l3;
  return owner;
}

function paintSphere(h, a, width, height, direction, key) {
  const {pixels, cells, weights} = sampling(`${key} ${width}x${height} ${h.grid}`, width, height, h.grid, direction);
  const image = new ImageData(width, height), rgba = new Uint32Array(image.data.buffer), size = width;
  const labels = new Int8Array(width * height).fill(-2), dashed = a.dashed ? new Int8Array(width * height).fill(-2) : null;
  const packed = ([r, g, b]) => (255 << 24 | b << 16 | g << 8 | r) >>> 0;  // ImageData's bytes, read little-endian
  const colours = new Map();
  const colour = (who) => colours.get(who) ?? colours.set(who, packed(
    who === GAP ? rgb(h.gap) : pastel(classColour(h, h.seen[who])))).get(who);
  for (let n = 0; n < pixels.length; n++) {
    const at = pixels[n], who = vote(a.owner, cells, weights, 4 * n);
    labels[at] = who;
    if (dashed) dashed[at] = vote(a.dashed, cells, weights, 4 * n);
    rgba[at] = colour(who);
  }
  const ink = packed(rgb(h.ink)), grey = packed([138, 138, 138]), showDashed = dashed && !hidden.has("dashed");
  const edge = (l, at) => l[at + 1] !== -2 && l[at] !== l[at + 1] || l[at + size] !== -2 && l[at] !== l[at + size];
  for (let py = 0; py < height - 1; py++) for (let px = 0; px < width - 1; px++) {
    const at = py * size + px;
    if (labels[at] === -2) continue;
    if (edge(labels, at)) rgba[at] = ink;
    else if (showDashed && ((px + py) >> 2) % 2 === 0 && edge(dashed, at)) rgba[at] = grey;
  }
  const painted = document.createElement("canvas");
  painted.width = width; painted.height = height;
  painted.getContext("2d").putImageData(image, 0, 0);
  return painted;
}

function globeDirection(radiusPx) {  // orthographic: the pixel's point on the front of the turned sphere
  const [r, u, b] = rotation;
  return (px, py) => {
    const x = (px - radiusPx) / radiusPx, y = (radiusPx - py) / radiusPx, d = x * x + y * y;
    if (d > 1) return null;
    const z = Math.sqrt(1 - d);
    return [0, 1, 2].map((k) => x * r[k] + y * u[k] + z * b[k]);
  };
}

// --- the whole sphere at once: Hammer's equal-area map -------------------------------------------------
// x = 2√2 cos φ sin(λ/2) / √(1 + cos φ cos(λ/2)), y = √2 sin φ / √(1 + cos φ cos(λ/2)), λ the longitude (atan2(y, x)
// of a direction) and φ its latitude: an ellipse 4√2 wide and 2√2 high, every region at its true share of the area.
function hammer(v) {
  const norm = Math.hypot(...v) || 1, lat = Math.asin(Math.max(-1, Math.min(1, v[2] / norm))), lon = Math.atan2(v[1], v[0]);
  const k = Math.sqrt(1 + Math.cos(lat) * Math.cos(lon / 2));
  return [2 * Math.SQRT2 * Math.cos(lat) * Math.sin(lon / 2) / k, Math.SQRT2 * Math.sin(lat) / k];
}
function mapDirection(scale, width, height) {  // the inverse: pixel → direction, null outside the ellipse
  return (px, py) => {
    const x = (px - width / 2) / scale, y = (height / 2 - py) / scale;
    if ((x / (2 * Math.SQRT2)) ** 2 + (y / Math.SQRT2) ** 2 > 1) return null;
    const z = Math.sqrt(1 - (x / 4) ** 2 - (y / 2) ** 2), lon = 2 * Math.atan2(z * x, 2 * (2 * z * z - 1));
    const lat = Math.asin(Math.max(-1, Math.min(1, z * y)));
    return [Math.cos(lat) * Math.cos(lon), Math.cos(lat) * Math.sin(lon), Math.sin(lat)];
  };
}

function drawMap(g, h, a) {
  const {ctx, cx, cy} = g, w = stage.clientWidth, hgt = stage.clientHeight;
  const width = Math.floor(Math.min(w, 2 * hgt) * 0.96), height = Math.floor(width / 2), scale = width / (4 * Math.SQRT2);
  const left = Math.round(cx - width / 2), top = Math.round(cy - height / 2);
  ctx.drawImage(paintSphere(h, a, width, height, mapDirection(scale, width, height), "map"), left, top);
  ctx.beginPath(); ctx.ellipse(cx, cy, width / 2, height / 2, 0, 0, 2 * Math.PI);
  ctx.strokeStyle = h.ink; ctx.lineWidth = 1; ctx.stroke();
  const at = (v) => { const [x, y] = hammer(v); return [left + width / 2 + x * scale, top + height / 2 - y * scale]; };
  const dim = 3, n = a.labels.length, seen = new Set(h.seen);
  let count = 0;
  ctx.globalAlpha = 0.85;
  for (let k = 0; k < n; k++) {
    const c = a.labels[k];
    if (hidden.has("class" + c)) continue;
    const [x, y] = at([a.points[k * dim], a.points[k * dim + 1], a.points[k * dim + 2]]);
    ctx.fillStyle = ctx.strokeStyle = classColour(h, c);
    ctx.beginPath();
    if (seen.has(c)) { ctx.arc(x, y, 2.5, 0, 2 * Math.PI); ctx.fill(); }
    else { ctx.moveTo(x - 3, y - 3); ctx.lineTo(x + 3, y + 3); ctx.moveTo(x - 3, y + 3); ctx.lineTo(x + 3, y - 3); ctx.stroke(); }
    drawn.x.push(x); drawn.y.push(y); drawn.index.push(k);
    count++;
  }
  ctx.globalAlpha = 1;
  if (!hidden.has("W")) {
    const font = args && args.projector ? 21 : 16;
    for (let i = 0; i < h.seen.length; i++) {  // a class vector is a point on the map: a black diamond
      const [x, y] = at(Array.from(a.unitW.slice(i * dim, i * dim + dim)));
      ctx.beginPath(); ctx.moveTo(x, y - 7); ctx.lineTo(x + 6, y); ctx.lineTo(x, y + 7); ctx.lineTo(x - 6, y); ctx.closePath();
      ctx.fillStyle = h.ink; ctx.strokeStyle = "#fff"; ctx.lineWidth = 1.5; ctx.fill(); ctx.stroke();
      labels.push({text: "W" + h.seen[i], x, y: y - 7 - font * 0.7, dx: 0, dy: -1, font, faint: false});
    }
  }
  for (let k = 0; k < a.marks.length / dim; k++) {
    const [x, y] = at(Array.from(a.marks.slice(k * dim, k * dim + dim)));
    star(ctx, x, y, false);
  }
  return count;
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
    labels.push({text: "W" + h.seen[i], x: cx + (x1 - cx) / out * reach, y: cy + (y1 - cy) / out * reach,
                 dx: (x1 - cx) / out, dy: (y1 - cy) / out, font, faint: depth < 0});
  }
  ctx.globalAlpha = 1;
}

// W labels where none overlaps another or leaves the canvas: each tries its place, then steps further out from its
// arrow's head, turning more and more away from its own direction, until a free box is found (greedy, in the order
// drawn; 30 steps of 7 px reach any free place of a crowded panel).
let labels = [];
const TURNS = [0, ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((k) => [k * 0.35, -k * 0.35]), Math.PI];  // outward first
function placeLabels(g) {
  const {ctx} = g, w = stage.clientWidth, h = stage.clientHeight, placed = [];
  for (const label of labels) {
    ctx.font = `${label.font}px sans-serif`;
    const width = ctx.measureText(label.text).width + 4, height = label.font + 2;
    let best = null;
    for (let step = 0; step < 30 && !best; step++) for (const turn of TURNS) {
      const c = Math.cos(turn), sn = Math.sin(turn), dx = label.dx * c - label.dy * sn, dy = label.dx * sn + label.dy * c;
      const x = label.x + dx * step * 7, y = label.y + dy * step * 7;
      const box = {x: x - width / 2, y: y - height / 2, w: width, h: height};
      const inside = box.x >= 1 && box.y >= 1 && box.x + box.w <= w - 1 && box.y + box.h <= h - 1;
      if (inside && !placed.some((o) => box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h && o.y < box.y + box.h)) {
        best = box;
        break;
      }
    }
    if (!best) {  // nowhere free: inside the canvas at least
      best = {x: Math.min(Math.max(1, label.x - width / 2), w - width - 1), y: Math.min(Math.max(1, label.y - height / 2), h - height - 1), w: width, h: height};
    }
    placed.push(best);
    ctx.globalAlpha = label.faint ? 0.4 : 1;
    ctx.fillStyle = header.ink; ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.fillText(label.text, best.x + best.w / 2, best.y + best.h / 2);
    best.text = label.text;
  }
  ctx.globalAlpha = 1;
  window.view.labels = placed;  // read by the tests: boxes in CSS pixels of the canvas
}

function star(ctx, x, y, faint) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const r = i % 2 ? 6 : 14, t = -Math.PI / 2 + i * Math.PI / 5;
    i ? ctx.lineTo(x + r * Math.cos(t), y + r * Math.sin(t)) : ctx.moveTo(x + r * Math.cos(t), y + r * Math.sin(t));
  }
  ctx.closePath();
  ctx.globalAlpha = faint ? 0.5 : 1;
  ctx.fillStyle = "#000"; ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.fill(); ctx.stroke();
  ctx.globalAlpha = 1;
}

function drawMarks(g, h, a, s) {  // large stars over everything: a digit a student drew (pages/probe.py)
  const {ctx, cx, cy} = g, dim = h.dim;
  for (let k = 0; k < a.marks.length / dim; k++) {
    let v = Array.from(a.marks.slice(k * dim, k * dim + dim));
    if (dim === 3) v = project3(v);
    star(ctx, cx + v[0] * s, cy - v[1] * s, dim === 3 && v[2] < 0);
  }
}

function draw() {
  if (!header) return;
  const g = fit(), h = header, a = arrays;
  drawn = {x: [], y: [], index: []};
  labels = [];
  let count = 0;
  if (h.kind === "sphere" && mapped()) {
    count += drawMap(g, h, a);
  } else if (h.kind === "sphere") {
    if (!rotation) rotation = JSON.parse(sessionStorage.getItem(store) || "null") || looking([0.95, 0.95, 0.6]);
    const s = g.half / extent(h), radiusPx = h.radius * s, side = Math.max(1, Math.ceil(2 * radiusPx));
    count += drawPoints(g, h, a, s, -1);
    drawWeights(g, h, a, s, -1);
    g.ctx.globalAlpha = 0.92;  // the points and class vectors behind show faintly through
    g.ctx.drawImage(paintSphere(h, a, side, side, globeDirection(radiusPx), `globe ${radiusPx} ${rotation}`),
                    g.cx - radiusPx, g.cy - radiusPx);
    g.ctx.globalAlpha = 1;
    count += drawPoints(g, h, a, s, 1);
    drawWeights(g, h, a, s, 1);
    drawMarks(g, h, a, s);
  } else {
    const s = h.kind === "circle" ? drawCircle(g, h, a) : drawPlane(g, h, a);
    count += drawPoints(g, h, a, s, 1);
    drawWeights(g, h, a, s, 1);
    drawMarks(g, h, a, s);
  }
  drawPin(g);
  placeLabels(g);
  Object.assign(window.view, {drawnPoints: count, rotation, step: h.step});
}

// --- legend and title: real text ------------------------------------------------------------------
function legend(h) {
  const items = [...new Set(Array.from(arrays.labels))].sort((x, y) => x - y).map((c) => ["class" + c, h.classes[c] || String(c), classColour(h, c)]);
  items.push(["W", "W_j", h.ink]);
  if (h.dashed) items.push(["dashed", h.dashed + " (dashed)", "#8A8A8A"]);
  if (h.kind === "sphere" && !mapped()) items.push(["spin", "⟳ turn slowly", "#ffffff"]);
  const signature = items.map((i) => i[0] + i[1]).join("|");
  if (legendBox.dataset.signature === signature) return;
  legendBox.dataset.signature = signature;
  legendBox.replaceChildren(...items.map(([key, label, colour]) => {
    const item = document.createElement("span"), swatch = document.createElement("i");
    if (key === "spin") swatch.style.display = "none";
    item.className = "item" + (hidden.has(key) ? " off" : ""); item.dataset.key = key;
    swatch.style.background = colour; item.append(swatch, label);
    if (key === "spin") item.classList.toggle("off", !spinning);
    item.onclick = () => {
      if (key === "spin") { spinning = !spinning; item.classList.toggle("off", !spinning); if (spinning) spin(); return; }
      hidden.has(key) ? hidden.delete(key) : hidden.add(key); item.classList.toggle("off"); draw();
    };
    return item;
  }));
}

// --- hover: which digit is this dot? ----------------------------------------------------------------
function nearest(event) {  // the drawn point under the mouse (within 7 px), as its index in the frame, or −1
  const box = canvas.getBoundingClientRect(), mx = event.clientX - box.left, my = event.clientY - box.top;
  let best = -1, bestDistance = 7;
  for (let k = 0; k < drawn.x.length; k++) {
    const d = Math.hypot(drawn.x[k] - mx, drawn.y[k] - my);
    if (d < bestDistance) { best = k; bestDistance = d; }
  }
  return best < 0 ? -1 : drawn.index[best];
}

function describe(k) {  // a dot's class, its angle to its own W and to the nearest other W
  const h = header, a = arrays, dim = h.dim, c = a.labels[k], own = h.seen.indexOf(c);
  const p = Array.from(a.points.slice(k * dim, k * dim + dim)), norm = Math.hypot(...p) || 1;
  const angle = (i) => Math.acos(Math.max(-1, Math.min(1, p.reduce((t, v, d) => t + v * a.unitW[i * dim + d], 0) / norm))) * 180 / Math.PI;
  let text = `class ${h.classes[c] || c}`;
  if (own < 0) return text + " (held out, unseen in training)";
  let near = -1;
  for (let i = 0; i < h.seen.length; i++) if (i !== own && (near < 0 || angle(i) < angle(near))) near = i;
  text += `<br>angle to W${c}: ${angle(own).toFixed(1)}°`;
  if (near >= 0) text += `<br>nearest other: W${h.seen[near]} at ${angle(near).toFixed(1)}°`;
  return text;
}

// The test images as one sprite sheet, sent once per session (sphereface_viz/frames.sprite_sheet): a frame of test
// images lists its points in the sheet's order (header.indexed), so hovering a dot shows the digit it came from.
let sprites = null;  // {key, bitmap, cell: [h, w], cols}
function spriteOf(k) {
  if (!sprites || !header.indexed) return null;
  const [ch, cw] = sprites.cell, scale = Math.max(1, Math.floor(72 / ch)), out = document.createElement("canvas");
  out.width = cw * scale; out.height = ch * scale;
  const ctx = out.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(sprites.bitmap, (k % sprites.cols) * cw, Math.floor(k / sprites.cols) * ch, cw, ch, 0, 0, out.width, out.height);
  return out;
}

function hover(event) {
  const k = header ? nearest(event) : -1;
  if (k < 0) { tip.style.display = "none"; return; }
  tip.innerHTML = describe(k);
  const image = spriteOf(k);
  if (image) { image.style.display = "block"; image.style.marginTop = "4px"; tip.appendChild(image); }
  const box = canvas.getBoundingClientRect();
  tip.style.left = (event.clientX - box.left + 14) + "px"; tip.style.top = (event.clientY - box.top + 14) + "px";
  tip.style.display = "block";
}

// A click pins a dot: it stays ringed, frame after frame, as training moves it (a frame of test images keeps
// each image at its index); a click beside any dot lets it go.
let pinned = null;
function drawPin(g) {
  if (pinned === null || !header || !header.indexed) return;
  const at = drawn.index.indexOf(pinned);
  if (at < 0) return;
  const {ctx} = g, x = drawn.x[at], y = drawn.y[at];
  ctx.beginPath(); ctx.arc(x, y, 9, 0, 2 * Math.PI);
  ctx.strokeStyle = "#000"; ctx.lineWidth = 2.5; ctx.stroke();
  ctx.beginPath(); ctx.arc(x, y, 11.5, 0, 2 * Math.PI);
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.stroke();
  window.view.pinnedAt = [x, y];
}

// --- 3-D: turn the sphere by dragging, or let it turn slowly about its vertical axis ----------------------
let spinning = false, spunAt = null;
function spin(now) {
  if (!spinning || !header || header.kind !== "sphere" || mapped()) { spunAt = null; return; }
  if (spunAt !== null && rotation) {  // 10° a second about the feature space's z axis
    const t = (now - spunAt) / 1000 * Math.PI / 18, c = Math.cos(t), sn = Math.sin(t);
    rotation = rotation.map((row) => normalise([c * row[0] - sn * row[1], sn * row[0] + c * row[1], row[2]]));
    draw();
  }
  spunAt = now === undefined ? performance.now() : now;
  requestAnimationFrame(spin);
}
let dragging = null, pendingDraw = false;
function redrawSoon() { if (!pendingDraw) { pendingDraw = true; requestAnimationFrame(() => { pendingDraw = false; draw(); }); } }
let pressedAt = null;
canvas.addEventListener("mousedown", (e) => {
  pressedAt = [e.clientX, e.clientY];
  if (header && header.kind === "sphere" && !mapped()) dragging = [e.clientX, e.clientY];
});
window.addEventListener("mouseup", (e) => {
  dragging = null;
  if (pressedAt && Math.hypot(e.clientX - pressedAt[0], e.clientY - pressedAt[1]) < 4 && header) {  // a click
    const k = nearest(e);
    pinned = k < 0 || !header.indexed ? null : k;
    sessionStorage.setItem(store + ":pin", JSON.stringify(pinned));
    window.view.pinned = pinned;
    draw();
  }
  pressedAt = null;
});
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
// With args.fill (the Train page), at most down to the window's bottom edge: a 1400×900 laptop sees all of it under
// Play. The projector view always reaches the bottom edge.
function fitted(height) {
  try {
    const frame = window.frameElement;
    if (!args || !(args.projector || args.fill) || !frame) return height;
    let top = frame.getBoundingClientRect().top;
    for (let el = frame.parentElement; el; el = el.parentElement) top += el.scrollTop;
    const room = Math.floor(window.parent.innerHeight - top - 12);
    return args.projector ? Math.max(360, room) : Math.max(420, Math.min(height, room));
  } catch (e) {
    return height;  // a page of another origin around the frame: the height asked for
  }
}
let sentHeight = null;
function size() {  // the frame's height to Streamlit only when it changes: each message re-lays out the page
  const height = fitted(args.height);
  if (height === sentHeight) return;
  sentHeight = height;
  document.body.style.height = height + "px";
  send("streamlit:setFrameHeight", {height});
  draw();
}
try { window.parent.addEventListener("resize", () => args && size()); } catch (e) { /* another origin */ }
window.addEventListener("resize", () => draw());
setInterval(() => args && size(), 500);  // a notice above the chart came or went

// --- Streamlit: this view's value ------------------------------------------------------------------------
let pressed = null, keyCount = 0;
let heardNow = null;  // what the page must change for, as last told (below)
function tell() {  // the sprite sheet this page holds, the last keys pressed, what the page must change for
  send("streamlit:setComponentValue", {value: Object.assign({sprites: sprites && sprites.key, heard: heardNow}, pressed),
                                       dataType: "json"});
}

// Keys the page's buttons cannot take (Streamlit reserves R and takes no punctuation): r Reset, [ and ] the margin
// one step down or up. Heard in the whole page while no text field or slider has the focus; only in the view
// that asks for them (args.keys).
function onKey(event) {
  const target = event.target, tag = (target && target.tagName || "").toLowerCase();
  if (!args || !args.keys || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
  if (["input", "textarea", "select"].includes(tag) || target.isContentEditable ||
      (target.getAttribute && target.getAttribute("role") === "slider")) return;
  if (!["r", "[", "]"].includes(event.key)) return;
  // the last presses, numbered: two presses before the server's next run are both in the value it reads
  const keys = (pressed ? pressed.keys : []).concat([[Date.now() * 100 + (keyCount++ % 100), event.key]]).slice(-20);
  pressed = {keys};
  tell();
}
document.addEventListener("keydown", onKey);
try { window.parent.document.addEventListener("keydown", onKey); } catch (e) { /* another origin */ }
function show(frame) {  // draw a frame: {header, blob, id, numbers, title}, from the page's arguments or fetched
  showNumbers(frame.numbers, args.projector);
  hear(frame);
  header = frame.header; arrays = decode(header, frame.blob);
  if (header.kind !== "sphere") rotation = null;
  const title = frame.title || header.title;
  window.view.title = frame.title;
  titleBox.replaceChildren(...title.split("<br>").flatMap((line, k) => k ? [document.createElement("br"), line] : [line]));
  titleBox.style.display = title ? "block" : "none";
  legendBox.style.display = args.legend === false ? "none" : "flex";
  legend(header);
  draw();
  window.view.renders += 1; window.view.id = frame.id; window.view.header = header; window.view.projection = args.projection;
}

// --- a page watching another's stage (sphereface_viz/stage.py): its notice, and a rerun when its page must change --
// Such a page has no periodic rerun: why the picture moves or not comes with each frame (`notice`), and the page's
// next run is asked for only when what it lays out changes: its player starts or stops training a run itself, or (a
// student) the teacher's settings change, which its controls mirror. args.heard is what the page was laid out for
// (pages/ui/feature_view.py, `heard`).
const noticeBox = document.getElementById("notice");
let heardTimer = null, toldNow = null, toldAt = -Infinity;
const LEADS_SETTLE = 1000;  // ms: see `settle` below
function hear(frame) {
  const watching = !!frame.stage && frame.stage !== args.own;
  noticeBox.textContent = (watching || args.notices && frame.follows) && frame.notice || "";
  noticeBox.style.display = noticeBox.textContent ? "block" : "none";
  if (args.heard == null || !frame.stage) return;
  // a page driving its player changes only when the player starts or stops training a run itself (a follower's
  // frames come from the stage of the session that trains the run); a student's, when the teacher's settings do
  const now = args.own == null ? `other:${frame.settings}` : frame.stage === args.own && frame.leads ? "own:leads"
                                                                                                       : "own:quiet";
  if (now === args.heard || now === heardNow) return;
  // asked for already and laid out otherwise since: once more, but never twice within 5 s (no loop of page runs)
  if (now === toldNow && performance.now() - toldAt < 5000) return;
  heardNow = now;
  clearTimeout(heardTimer);
  // When the page's next run is asked for: a teacher's settings once they hold still for 3 s, spread over 3 s more
  // (a hundred pages asking at once would take the server's interpreter from the training they show; the picture
  // and its title follow at once, in the frames); a player that starts training a run itself, a second later (its
  // page's run, to tick, must not hold up the first frames after Play); anything else at once.
  const settle = now.startsWith("other") && args.heard.startsWith("other") ? 3000 + Math.random() * 3000
    : now === "own:leads" ? LEADS_SETTLE : 0;
  heardTimer = setTimeout(() => { toldNow = heardNow; toldAt = performance.now(); tell(); }, settle);
}

// --- while playing: fetch the next frame once this one is drawn (pages/ui/feed_route.py) ---------------------
// One request at a time, sent only after the last frame is on screen and its pace has passed: frames never queue,
// and no Streamlit rerun carries them. The route lives beside this page's own address, under any base path.
const FEED = location.pathname.split("/component/")[0] + "/_live/frame";
const GIVE_UP = 5000;  // ms: the route answers within about a second (204 if nothing moved); a request older was lost
let fetching = null;  // the feed being fetched from
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
async function fetchFrames(feed) {
  fetching = feed;
  while (fetching === feed) {
    const askedAt = performance.now();
    let response;
    const abort = new AbortController(), late = setTimeout(() => abort.abort(), GIVE_UP);
    try {
      response = await fetch(`${FEED}?feed=${encodeURIComponent(feed)}`, {cache: "no-store", signal: abort.signal});
    } catch (e) {
      await sleep(abort.signal.aborted ? 0 : 1000);  // lost on the way: ask again; the server restarting: its page says so
      continue;
    } finally {
      clearTimeout(late);
    }
    if (fetching !== feed) break;
    if (response.status === 204) continue;  // nothing moved for a second: ask again
    if (response.status === 409 || response.status === 404) break;  // not playing, or the feed is gone: the page's
                                                                     // next run says what now
    if (response.status !== 200) { await sleep(1000); continue; }  // the server failed this once: again, calmly
    const bytes = new Uint8Array(await response.arrayBuffer());
    const length = new DataView(bytes.buffer).getUint32(0, true);
    const message = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
    if (fetching !== feed) break;
    show(Object.assign(message, {blob: bytes.subarray(4 + length)}));
    await new Promise((done) => requestAnimationFrame(done));  // on screen
    // one frame per pace, or slower; a page watching another's stage shares a pace with every page watching it
    const pace = message.stage && message.stage !== args.own && message.watch ? message.watch : message.pace;
    await sleep(askedAt + pace * 1000 - performance.now());
  }
  if (fetching === feed) fetching = null;
}

window.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  args = msg.args;
  heardNow = null;  // laid out anew: what the next frame says is compared with this layout
  if (store !== "feature_view:" + args.name) {
    store = "feature_view:" + args.name;
    pinned = JSON.parse(sessionStorage.getItem(store + ":pin") || "null");
  }
  if (args.sprite_png && (!sprites || sprites.key !== args.sprite_key)) {
    const key = args.sprite_key;
    createImageBitmap(new Blob([args.sprite_png], {type: "image/png"})).then((bitmap) => {
      sprites = {key, bitmap, cell: args.sprite_cell, cols: args.sprite_cols};
      window.view.sprites = key;
      tell();  // the server sends the sheet until it hears that this page holds it
    });
  }
  document.body.classList.toggle("projector", !!args.projector);
  size();
  if (!args.feed) fetching = null;
  else if (fetching !== args.feed) fetchFrames(args.feed);
  // drawn already: the same frame, or while fetching one no newer than the last fetched (its title and numbers
  // are then older too); a new projection is drawn anew
  const seen = args.feed ? args.id <= window.view.id : args.id === window.view.id && args.title === window.view.title;
  if (seen && args.projection === window.view.projection) {
    if (!args.feed) showNumbers(args.numbers, args.projector);
    return;
  }
  show(args);
});
send("streamlit:componentReady", {apiVersion: 1});
