// Live progress of simulations: every progress box (data-simulation with data-runs) follows
// its websocket and reloads the page when its simulation ends. Only boxes: a finished
// simulation's socket answers "done" at once, which would reload the page forever.
(function () {
  "use strict";
  var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
  document.querySelectorAll("[data-simulation][data-runs]").forEach(function (box) {
    var state = box.dataset.state;
    if (state === "done" || state === "failed") { return; }
    var id = box.dataset.simulation;
    var runs = parseInt(box.dataset.runs, 10) || 1;
    var socket = new WebSocket(scheme + window.location.host + "/ws/simulations/" + id + "/");
    socket.onmessage = function (message) {
      var data = JSON.parse(message.data);
      var done = data.done || 0;
      var bar = box.querySelector(".bar > span");
      if (bar) { bar.style.width = Math.round(100 * done / runs) + "%"; }
      var count = box.querySelector("#sim-count");
      if (count) { count.textContent = done; }
      box.dataset.done = done;
      if (data.state === "done" || data.state === "failed") {
        box.dataset.state = data.state;
        socket.close();
        window.setTimeout(function () { window.location.reload(); }, 400);
      }
    };
  });
})();
