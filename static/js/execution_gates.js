// The execution page's windows, canary/soak and alarm lines: what may hold the execution
// and its state now. The windows follow the clock (their occurrences come with the page);
// the rest follows the events execution.js relays ("execution-event"). Names are text.
(function () {
  "use strict";
  const source = document.getElementById("gates-data");
  if (!source) { return; }
  const gates = JSON.parse(source.textContent);
  const $ = id => document.getElementById(id);
  const now = () => Date.now() / 1000;

  function set(id, text, state) {
    const el = $(id);
    if (!el) return;
    el.textContent = text;
    el.dataset.state = state;
  }

  function windowLine() {
    const w = gates.windows;
    if (!w) { set("gate-window", "any time (no maintenance windows)", "always"); return; }
    const t = now();
    const open = w.spans.find(s => s.start <= t && t < s.end);
    const next = w.spans.find(s => s.start > t);
    const held = gates.window && gates.window.data.holding;
    if (open) {
      set("gate-window", `open until ${open.closes}` + (next ? `; the next opens ${next.opens}` : "")
        + ` · ${w.schedule}`, "open");
    } else {
      set("gate-window", (next ? `closed: the next opens ${next.opens}` : "closed: none opens in the next days")
        + (held ? "; the execution is paused until then" : "") + ` · ${w.schedule}`, "closed");
    }
  }

  function soakLine() {
    const parts = [];
    if (gates.canary) {
      parts.push(`canary: wave 1 (${gates.canary_hosts.join(", ")}), then a ${gates.canary_soak_s} s soak and a health check`);
    }
    if (gates.soak_s > 0) parts.push(`${gates.soak_s} s soak before each later wave`);
    if (!parts.length) { set("gate-soak", "no canary, no soak", "none"); return; }
    let state = "pending", text = gates.canary ? "waiting for the canary wave" : "no soak yet";
    const soak = gates.soak, blocked = gates.blocked;
    if (soak && soak.data.holding) {
      const left = Math.max(0, Math.round(soak.data.soak_s - (now() - soak.at)));
      state = "soaking";
      text = `${soak.message.split(":")[0]}: ${left} s left`;
    } else if (soak) {
      state = soak.data.wave === 1 && gates.canary ? "passed" : "done";
      text = soak.message;
    }
    if (blocked && (blocked.data.problems || (gates.canary && !soak && gates.canary_hosts.includes(blocked.data.host)))) {
      state = "failed";
      text = `failed: ${blocked.message}`;
    }
    set("gate-soak", `${parts.join("; ")} · ${text}`, state);
  }

  function alarmLine() {
    if (!gates.alarm_gate) {
      set("gate-alarm", gates.alarm_mode === "off" ? "off (the plan's policy)" : "off (no Alertmanager configured)", "off");
      return;
    }
    const mode = gates.alarm_mode + (gates.alarm_ignore.length ? `, ignoring ${gates.alarm_ignore.join(", ")}` : "");
    const alarm = gates.alarm;
    if (alarm && alarm.data.holding) {
      set("gate-alarm", `${mode} · holding: ${alarm.data.reasons.join("; ")}`, "holding");
    } else {
      set("gate-alarm", `${mode} · clear`, "clear");
    }
  }

  function draw() { windowLine(); soakLine(); alarmLine(); }

  document.addEventListener("execution-event", ev => {
    const e = ev.detail;
    const latest = {message: e.message, at: Date.parse(e.at) / 1000, data: e.data || {}};
    if (e.kind === "window") gates.window = latest;
    else if (e.kind === "soak") gates.soak = latest;
    else if (e.kind === "alarm") gates.alarm = latest;
    else if (e.kind === "blocked") gates.blocked = latest;
    else return;
    draw();
  });
  draw();
  setInterval(draw, 1000);
})();
