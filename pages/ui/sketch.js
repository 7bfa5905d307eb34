// A drawing pad (pages/ui/sketch.py): thick round white strokes on black, like MNIST's digits, drawn with a mouse,
// a pen or a finger (pointer events). At the end of each stroke the drawing goes to the server as a grayscale
// cells × cells array of 0..1, each cell the mean of its canvas pixels (area averaging), with the strokes'
// points so that a new iframe (the page opened again) can draw them back. Clear sends null.
function send(type, extra) { window.parent.postMessage(Object.assign({isStreamlitMessage: true, type}, extra), "*"); }
const canvas = document.getElementById("pad"), ctx = canvas.getContext("2d"), clear = document.getElementById("clear");
let args = null, strokes = [], current = null, restored = false;
window.sketch = {strokes: 0, sent: 0, cells: null};  // read by the tests

function blank() { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, canvas.width, canvas.height); }
function pen() {
  Object.assign(ctx, {strokeStyle: "#fff", fillStyle: "#fff", lineCap: "round", lineJoin: "round",
                      lineWidth: canvas.width * args.pen});
}
function paint(points) {  // one stroke: a dot, or a line through its points
  pen();
  ctx.beginPath();
  if (points.length === 2) { ctx.arc(points[0], points[1], ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fill(); return; }
  ctx.moveTo(points[0], points[1]);
  for (let k = 2; k < points.length; k += 2) ctx.lineTo(points[k], points[k + 1]);
  ctx.stroke();
}
function grey() {  // cells × cells means of the canvas's red channel (white ink: 255)
  const n = args.cells, size = canvas.width, data = ctx.getImageData(0, 0, size, size).data;
  const sum = new Float64Array(n * n), count = new Float64Array(n * n);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const cell = Math.floor(y * n / size) * n + Math.floor(x * n / size);
    sum[cell] += data[(y * size + x) * 4] / 255; count[cell] += 1;
  }
  const rows = [];
  for (let i = 0; i < n; i++) {
    rows.push(Array.from({length: n}, (_, j) => Math.round(sum[i * n + j] / count[i * n + j] * 1000) / 1000));
  }
  return rows;
}
function publish() {
  window.sketch.strokes = strokes.length; window.sketch.sent += 1;
  send("streamlit:setComponentValue", {value: strokes.length ? {image: grey(), strokes} : null, dataType: "json"});
}
function at(e) {
  const box = canvas.getBoundingClientRect();
  return [Math.round((e.clientX - box.left) * canvas.width / box.width),
          Math.round((e.clientY - box.top) * canvas.height / box.height)];
}
canvas.addEventListener("pointerdown", (e) => {
  if (!args) return;
  canvas.setPointerCapture(e.pointerId);
  current = at(e);
  paint(current);
});
canvas.addEventListener("pointermove", (e) => {
  if (!current) return;
  const [x, y] = at(e), n = current.length;
  if (x === current[n - 2] && y === current[n - 1]) return;
  current.push(x, y);
  pen(); ctx.beginPath(); ctx.moveTo(current[n - 2], current[n - 1]); ctx.lineTo(x, y); ctx.stroke();
});
function end() {
  if (!current) return;
  strokes.push(current); current = null;
  publish();
}
canvas.addEventListener("pointerup", end);
canvas.addEventListener("pointercancel", end);
clear.addEventListener("click", () => { strokes = []; current = null; blank(); publish(); });

window.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  const first = !args;
  args = msg.args;
  if (first) { canvas.width = canvas.height = args.size; blank(); }
  const side = Math.min(args.size, document.body.clientWidth || args.size) + "px";  // a narrow column: smaller
  canvas.style.width = canvas.style.height = clear.style.width = side;
  window.sketch.cells = args.cells;
  if (!restored && args.strokes && !strokes.length) {  // the page opened again: its drawing is still the value
    strokes = args.strokes.map((s) => s.slice());
    strokes.forEach(paint);
    window.sketch.strokes = strokes.length;
  }
  restored = true;
  send("streamlit:setFrameHeight", {height: document.body.scrollHeight});
});
send("streamlit:componentReady", {apiVersion: 1});
