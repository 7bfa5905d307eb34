// The live line charts' page (pages/ui/live_chart.py): redraws a plotly figure in place on every Streamlit render.
function send(type, extra) { window.parent.postMessage(Object.assign({isStreamlitMessage: true, type}, extra), "*"); }
const chart = document.getElementById("chart");
const CONFIG = {responsive: true, displaylogo: false};
window.renders = 0;
window.addEventListener("message", (event) => {
  const msg = event.data;
  if (!msg || msg.type !== "streamlit:render") return;
  chart.style.height = msg.args.height + "px";  // before plotly sizes itself to it
  if (msg.args.figure !== window.lastFigure) {  // a rerun that changed nothing re-sends the last figure
    window.lastFigure = msg.args.figure;
    const fig = JSON.parse(msg.args.figure);
    Plotly.react(chart, fig.data, fig.layout, CONFIG);
    window.renders += 1;
    document.body.dataset.renders = window.renders;  // read by the tests
  }
  send("streamlit:setFrameHeight", {height: msg.args.height});
});
send("streamlit:componentReady", {apiVersion: 1});
