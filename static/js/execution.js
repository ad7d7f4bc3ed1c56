// The live execution page: step states, the log and the Gantt follow the websocket.
// Every name (host, server, step, message) comes from the cloud or a file: it is put
// into the page as text (textContent, attributes), never parsed as markup.
(function () {
  "use strict";
  const source = document.getElementById("execution-data");
  if (!source) { return; }
  const page = JSON.parse(source.textContent);
  const steps = new Map(page.steps.map(s => [s.key, s]));
  const SVG = "http://www.w3.org/2000/svg";
  let lastSeq = page.last_seq;
  let origin = page.origin;  // epoch s of the first step's start
  const now = () => Date.now() / 1000;

  function countDone() {
    document.querySelectorAll("#host-progress tr[data-host]").forEach(row => {
      const cells = row.querySelectorAll(".step-cell");
      const done = [...cells].filter(c => c.classList.contains("step-done") || c.classList.contains("step-skipped")).length;
      row.querySelector(".host-done").textContent = done;
    });
  }

  function setStepState(key, state, atEpoch, error) {
    const step = steps.get(key);
    if (!step) return;
    step.state = state;
    if (origin === null) origin = atEpoch;
    if (state === "running") { step.actual_start_s = atEpoch - origin; step.actual_s = null; }
    if ((state === "done" || state === "failed") && step.actual_start_s !== null) step.actual_s = atEpoch - origin - step.actual_start_s;
    document.querySelectorAll(`[data-step="${CSS.escape(key)}"]`).forEach(el => {
      if (el.classList.contains("step-cell")) el.setAttribute("class", `step-cell step-${state}`);
      const badge = el.querySelector && el.querySelector(".step-state");
      if (badge) { badge.className = `badge step-${state} step-state`; badge.textContent = state; }
      const actual = el.querySelector && el.querySelector(".actual");
      if (actual && step.actual_s != null) actual.textContent = step.actual_s.toFixed(1);
      const note = el.querySelector && el.querySelector(".note");
      if (note && error) note.textContent = error;
    });
    countDone();
  }

  function svgElement(name, attributes) {
    const el = document.createElementNS(SVG, name);
    Object.entries(attributes).forEach(([key, value]) => el.setAttribute(key, String(value)));
    return el;
  }

  function svgText(x, y, text) {
    const el = svgElement("text", {x: x, y: y});
    el.textContent = text;
    return el;
  }

  function drawGantt() {
    const svg = document.getElementById("gantt-svg");
    const rows = page.steps;
    const width = svg.clientWidth || 900, left = 260, rowH = 16;
    svg.setAttribute("height", rows.length * rowH + 28);
    let end = 1;
    rows.forEach(s => {
      if (s.actual_start_s != null) end = Math.max(end, s.actual_start_s + (s.actual_s ?? (s.state === "running" && origin ? now() - origin - s.actual_start_s : 0)));
      if (s.planned_start_s != null) end = Math.max(end, s.planned_start_s + s.planned_s);
    });
    const x = t => left + (width - left - 10) * t / end;
    const parts = [];
    rows.forEach((s, i) => {
      const y = 4 + i * rowH;
      parts.push(svgText(0, y + 11, `${s.host} ${s.label}`));
      if (s.planned_start_s != null) {
        parts.push(svgElement("rect", {
          class: "planned", x: x(s.planned_start_s), y: y, height: rowH - 3, fill: "none", stroke: "#888",
          width: Math.max(1, x(s.planned_start_s + s.planned_s) - x(s.planned_start_s))}));
      }
      if (s.actual_start_s != null) {
        const dur = s.actual_s ?? (s.state === "running" && origin ? now() - origin - s.actual_start_s : 0);
        const colour = {done: "#2e8b57", running: "#1f5fa8", failed: "#c0392b"}[s.state] || "#999";
        parts.push(svgElement("rect", {
          class: "actual", "data-step": s.key, x: x(s.actual_start_s), y: y + 1, height: rowH - 6,
          fill: colour, width: Math.max(2, x(s.actual_start_s + dur) - x(s.actual_start_s))}));
      }
    });
    parts.push(svgText(width - 60, rows.length * rowH + 16, `${end.toFixed(0)} s`));
    svg.replaceChildren(...parts);
  }

  function onEvent(e) {
    if (e.type === "closed") return;  // the server ends the socket (sign-out)
    if (e.seq <= lastSeq) return;
    lastSeq = e.seq;
    document.getElementById("last-seq").textContent = e.seq;
    const li = document.createElement("li");
    li.dataset.seq = e.seq;
    li.textContent = `#${e.seq} ${e.at.slice(11, 19)} [${e.kind}] ${e.message}`;
    document.getElementById("log").prepend(li);
    const at = Date.parse(e.at) / 1000;
    if (e.kind === "step" && e.data.state) setStepState(e.step, e.data.state, at, e.data.error);
    if (e.kind === "step" && e.data.attempt) {
      const cell = document.querySelector(`#step-table tr[data-step="${CSS.escape(e.step)}"] .attempts`);
      if (cell) cell.textContent = e.data.attempt;
    }
    if (e.kind === "execution" || e.kind === "control") {
      const state = e.data.state;
      if (state) { const el = document.getElementById("execution-state"); el.textContent = state; el.className = `badge exec-${state}`; }
      const cause = document.getElementById("cause");
      if (e.kind === "execution") { cause.textContent = e.data.cause || ""; cause.hidden = !e.data.cause; }
    }
    drawGantt();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/executions/${page.id}/?after=${lastSeq}`);
    const badge = document.getElementById("ws-state");
    ws.onopen = () => { badge.textContent = "connected"; badge.className = "badge ok"; };
    ws.onmessage = msg => onEvent(JSON.parse(msg.data));
    // Reconnect and ask for what was missed (events are numbered). A socket the
    // server closed for a signed-out user (4401) is not reopened.
    ws.onclose = e => {
      if (e.code === 4401 || e.code === 4403) { badge.textContent = "signed out"; badge.className = "badge fail"; return; }
      badge.textContent = "reconnecting"; badge.className = "badge warn"; setTimeout(connect, 1000);
    };
  }
  page.steps.forEach(s => {
    const row = document.querySelector(`#step-table tr[data-step="${CSS.escape(s.key)}"] .planned`);
    if (row && s.planned_s != null) row.textContent = s.planned_s.toFixed(1);
  });
  countDone();
  drawGantt();
  setInterval(drawGantt, 1000);
  connect();
})();
