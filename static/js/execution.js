// The live execution page: the overview, step states, the log and both timelines
// follow the websocket. Every name (host, server, step, message) comes from the cloud
// or a file: it is put into the page as text (textContent, attributes), never parsed
// as markup.
(function () {
  "use strict";
  const source = document.getElementById("execution-data");
  if (!source) { return; }
  const page = JSON.parse(source.textContent);
  const steps = new Map(page.steps.map(s => [s.key, s]));
  const FINAL = new Set(page.final_states);
  const SVG = "http://www.w3.org/2000/svg";
  let lastSeq = page.last_seq;
  let origin = page.origin;  // epoch s of the first step's start
  let state = page.state;
  let held = !!page.held;
  let started = page.started, finished = page.finished;
  const now = () => Date.now() / 1000;
  const $ = id => document.getElementById(id);
  const finishedStep = s => s.state === "done" || s.state === "skipped";
  // Clock times in the zone the user chose (the page names it); UTC if the browser lacks it.
  const ZONE = document.body.dataset.timeZone || "UTC";
  // The zone is named as the page names it (the browser may prefer an older alias).
  let zoneName = ZONE;
  const clockFormat = (() => {
    const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
    try { return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: ZONE }); }
    catch (e) { zoneName = "UTC"; return new Intl.DateTimeFormat("en-GB", { ...options, timeZone: "UTC" }); }
  })();
  const clock = epochMs => clockFormat.format(new Date(epochMs));

  function duration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
    return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  }

  function announce(text) { $("live-status").textContent = text; }

  // The overview: progress, elapsed, remaining from the simulation, current wave.
  function updateOverview() {
    const all = [...steps.values()];
    const done = all.filter(finishedStep).length;
    const failed = all.filter(s => s.state === "failed").length;
    const bar = $("progress");
    bar.setAttribute("aria-valuenow", String(done));
    bar.setAttribute("aria-valuetext", `${done} of ${all.length} steps finished`);
    $("progress-fill").style.width = `${all.length ? (100 * done / all.length) : 0}%`;
    $("progress-text").textContent = `${done} / ${all.length} steps`;
    $("failed-count").textContent = String(failed);
    const begin = started ?? origin;
    $("elapsed").textContent = begin ? duration((finished ?? now()) - begin) : "not started";
    const open = all.filter(s => !finishedStep(s));
    $("current-wave").textContent = FINAL.has(state) || !open.length ? "—"
      : `${Math.min(...open.map(s => s.wave)) + 1} of ${Math.max(...all.map(s => s.wave)) + 1}`;
    if (page.simulated_total_s != null) {
      $("eta").textContent = FINAL.has(state) ? "finished" : eta(all, open);
    }
  }

  // Where the simulation says the run is: the simulated start of the earliest step
  // not finished yet (less what that step has run already).
  function eta(all, open) {
    if (!open.length) return "0 s";
    const total = page.simulated_total_s;
    const planned = open.filter(s => s.planned_start_s != null);
    let remaining;
    if (planned.length) {
      const first = planned.reduce((a, b) => (a.planned_start_s <= b.planned_start_s ? a : b));
      remaining = total - first.planned_start_s;
      if (first.state === "running" && first.actual_start_s != null && origin) {
        remaining -= Math.min(first.planned_s || 0, now() - origin - first.actual_start_s);
      }
    } else {
      remaining = total * open.length / all.length;
    }
    remaining = Math.max(0, remaining);
    const end = clock((now() + remaining) * 1000);
    return `about ${duration(remaining)} (ends near ${end} ${zoneName})`;
  }

  function countDone() {
    document.querySelectorAll("#host-progress tr[data-host]").forEach(row => {
      const cells = row.querySelectorAll(".step-cell");
      const done = [...cells].filter(c => c.classList.contains("step-done") || c.classList.contains("step-skipped")).length;
      row.querySelector(".host-done").textContent = done;
    });
    document.querySelectorAll("#host-progress details.wave").forEach(wave => {
      const cells = wave.querySelectorAll(".step-cell");
      const done = [...cells].filter(c => c.classList.contains("step-done") || c.classList.contains("step-skipped")).length;
      wave.querySelector(".wave-done").textContent = done;
    });
    updateOverview();
  }

  // Controls only where they apply: the same rules as the services refuse by.
  function updateControls() {
    const panel = $("controls");
    if (!panel) return;
    if (FINAL.has(state)) { panel.hidden = true; return; }
    const all = [...steps.values()];
    const failed = all.filter(s => s.state === "failed");
    const skippable = all.filter(s => s.state === "failed" || s.state === "pending");
    const show = {
      // Paused by an alarm or a window (held), it resumes by itself: Pause keeps it paused.
      pause: state === "queued" || state === "running" || held,
      resume: (state === "paused" && !held) || state === "blocked",
      abort: state !== "aborting",
      retry: failed.length > 0,
      skip: skippable.length > 0,
    };
    panel.querySelectorAll("form[data-control]").forEach(form => { form.hidden = !show[form.dataset.control]; });
    fillSelect($("retry-step"), failed);
    fillSelect($("skip-step"), skippable);
  }

  function fillSelect(select, choices) {
    if (!select) return;
    const kept = select.value;
    select.replaceChildren(...choices.map(s => {
      const option = document.createElement("option");
      option.value = s.key;
      option.textContent = s.name;
      return option;
    }));
    if (choices.some(s => s.key === kept)) select.value = kept;
  }

  function setStepState(key, newState, atEpoch, error) {
    const step = steps.get(key);
    if (!step) return;
    step.state = newState;
    if (origin === null) origin = atEpoch;
    if (newState === "running") { step.actual_start_s = atEpoch - origin; step.actual_s = null; }
    if ((newState === "done" || newState === "failed") && step.actual_start_s !== null) step.actual_s = atEpoch - origin - step.actual_start_s;
    document.querySelectorAll(`[data-step="${CSS.escape(key)}"]`).forEach(el => {
      if (el.classList.contains("step-cell")) el.setAttribute("class", `step-cell step-${newState}`);
      if (el.tagName === "TR") el.dataset.state = newState;
      const badge = el.querySelector && el.querySelector(".step-state");
      if (badge) { badge.className = `badge step-${newState} step-state`; badge.textContent = newState; }
      const actual = el.querySelector && el.querySelector(".actual");
      if (actual && step.actual_s != null) actual.textContent = step.actual_s.toFixed(1);
      const note = el.querySelector && el.querySelector(".note");
      if (note && error) note.textContent = error;
    });
    if (newState === "failed") announce(`Step failed: ${step.name}${error ? ": " + error : ""}`);
    countDone();
    updateControls();
    applyFilter();
  }

  // The filter by step state: chips, host rows, waves and the step table.
  function applyFilter() {
    const checked = document.querySelector('input[name="step-filter"]:checked');
    const wanted = checked ? checked.value : "all";
    const match = el => wanted === "all" || el.classList.contains(`step-${wanted}`);
    let any = false;
    document.querySelectorAll("#host-progress details.wave").forEach(wave => {
      let inWave = false;
      wave.querySelectorAll("tr[data-host]").forEach(row => {
        let inRow = false;
        row.querySelectorAll(".step-cell").forEach(cell => {
          const shown = match(cell);
          cell.hidden = !shown;
          inRow = inRow || shown;
        });
        row.hidden = !inRow;
        inWave = inWave || inRow;
      });
      wave.hidden = !inWave;
      if (wanted !== "all" && inWave) wave.open = true;
      any = any || inWave;
    });
    $("filter-empty").hidden = any;
    document.querySelectorAll("#step-table tr[data-step]").forEach(row => {
      row.hidden = wanted !== "all" && row.dataset.state !== wanted;
    });
  }

  function svgElement(name, attributes) {
    const el = document.createElementNS(SVG, name);
    Object.entries(attributes).forEach(([key, value]) => el.setAttribute(key, String(value)));
    return el;
  }

  function svgText(x, y, text, attributes) {
    const el = svgElement("text", {x: x, y: y, ...(attributes || {})});
    el.textContent = text;
    return el;
  }

  // Tick spacing a person reads: 1-2-5 below a minute, whole minutes above.
  const STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
  function tickStep(end) {
    return STEPS.find(m => m >= end / 6) || STEPS[STEPS.length - 1];
  }

  function tickLabel(t, step) {
    if (step >= 60) return `${Math.round(t / 60)} min`;
    return step < 1 ? `${t.toFixed(1)} s` : `${Math.round(t)} s`;
  }

  // One row per host; each step a bar on the timeline's own scale, with ticks.
  function drawTimeline(svg, startOf, lengthOf, kind) {
    if (!svg) return;
    const hosts = [...new Set(page.steps.map(s => s.host))];
    const width = svg.clientWidth || 900, left = 150, rowH = 18, top = 22;
    svg.setAttribute("height", hosts.length * rowH + top + 8);
    let end = 1;
    page.steps.forEach(s => {
      const start = startOf(s);
      if (start != null) end = Math.max(end, start + lengthOf(s));
    });
    const x = t => left + (width - left - 16) * t / end;
    const parts = [];
    const step = tickStep(end);
    for (let t = 0; t <= end + 1e-9; t += step) {
      parts.push(svgElement("line", {class: "tick", x1: x(t), x2: x(t), y1: top - 4, y2: hosts.length * rowH + top, stroke: "#dde3ea"}));
      parts.push(svgText(x(t), top - 8, tickLabel(t, step), {"text-anchor": "middle", class: "tick-label"}));
    }
    hosts.forEach((host, i) => {
      const label = host.length > 22 ? host.slice(0, 21) + "…" : host;
      const text = svgText(0, top + i * rowH + 12, label);
      const title = svgElement("title", {});
      title.textContent = host;
      text.appendChild(title);
      parts.push(text);
    });
    page.steps.forEach(s => {
      const start = startOf(s);
      if (start == null) return;
      const y = top + hosts.indexOf(s.host) * rowH + 2;
      const colour = kind === "planned" ? "#9fb7d6"
        : ({done: "#2e8b57", running: "#1f5fa8", failed: "#c0392b", skipped: "#c27c0e"}[s.state] || "#999");
      const rect = svgElement("rect", {
        class: kind, "data-step": s.key, x: x(start), y: y, height: rowH - 5, fill: colour,
        stroke: "#fff", "stroke-width": 0.5, width: Math.max(2, x(start + lengthOf(s)) - x(start))});
      const title = svgElement("title", {});
      title.textContent = `${s.name}: ${lengthOf(s).toFixed(1)} s from ${start.toFixed(1)} s`;
      rect.appendChild(title);
      parts.push(rect);
    });
    svg.replaceChildren(...parts);
  }

  function actualLength(s) {
    if (s.actual_s != null) return s.actual_s;
    return s.state === "running" && origin ? now() - origin - s.actual_start_s : 0;
  }

  function drawGantt() {
    drawTimeline($("gantt-svg"), s => s.actual_start_s, actualLength, "actual");
  }

  function setExecutionState(newState, cause, isExecutionEvent, at) {
    if (newState && newState !== state) {
      state = newState;
      const el = $("execution-state");
      el.textContent = newState;
      el.className = `badge exec-${newState}`;
      if (FINAL.has(newState)) finished = at;
      if (!started && newState === "running") started = at;
      announce(`Execution ${newState}${cause ? ": " + cause : ""}`);
    }
    if (isExecutionEvent) {
      const box = $("cause");
      box.textContent = cause || "";
      box.hidden = !cause;
      box.className = state === "blocked" || state === "aborted" ? "errors" : "notice";
    }
    updateControls();
    updateOverview();
  }

  function onEvent(e) {
    if (e.type === "closed") return;  // the server ends the socket (sign-out)
    if (e.seq <= lastSeq) return;
    lastSeq = e.seq;
    $("last-seq").textContent = e.seq;
    const li = document.createElement("li");
    li.dataset.seq = e.seq;
    const at = Date.parse(e.at) / 1000;
    li.textContent = `#${e.seq} ${clock(at * 1000)} [${e.kind}] ${e.message}`;
    $("log").prepend(li);
    if (e.kind === "step" && e.data.state) setStepState(e.step, e.data.state, at, e.data.error);
    if (e.kind === "step" && e.data.attempt) {
      const cell = document.querySelector(`#step-table tr[data-step="${CSS.escape(e.step)}"] .attempts`);
      if (cell) cell.textContent = e.data.attempt;
    }
    if ((e.kind === "execution" || e.kind === "control") && e.data.state) held = !!e.data.held;
    if (e.kind === "execution" || e.kind === "control") {
      setExecutionState(e.data.state, e.data.cause, e.kind === "execution", at);
    }
    if (["alarm", "window", "soak"].includes(e.kind) && "holding" in e.data) {
      // An alarm, the maintenance window or a soak holds the next host: say why until it ends.
      const box = $("cause");
      box.textContent = e.data.holding ? e.message : "";
      box.hidden = !e.data.holding;
      box.className = "notice";
      box.dataset.hold = e.data.holding ? e.kind : "";
    }
    // The windows, canary and alarm lines (execution_gates.js) follow the same events.
    document.dispatchEvent(new CustomEvent("execution-event", {detail: e}));
    drawGantt();
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/executions/${page.id}/?after=${lastSeq}`);
    const badge = $("ws-state");
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
  document.querySelectorAll('input[name="step-filter"]').forEach(r => r.addEventListener("change", applyFilter));
  countDone();
  updateControls();
  applyFilter();
  drawGantt();
  drawTimeline($("gantt-planned-svg"), s => s.planned_start_s, s => s.planned_s || 0, "planned");
  setInterval(() => { drawGantt(); updateOverview(); }, 1000);
  connect();
})();
