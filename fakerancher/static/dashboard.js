"use strict";
// The dashboard: polls /_fake/summary and redraws its tables in place; the clock controls
// call the /_fake/clock and /_fake/transitions/advance routes.
(() => {
  const $ = (id) => document.getElementById(id);
  if (!$("dash")) return;
  const notice = $("notice");
  let timer = null;
  let last = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null) continue;
      if (key === "className") node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
    }
    return node;
  }

  const text = (value) => (value === null || value === undefined ? "—" : String(value));

  function tone(state) {
    if (state === "active") return "ok";
    if (["inactive", "removed", "purged"].includes(state)) return "off";
    if (/ing$/.test(state)) return "busy";
    return "info";
  }

  function rows(body, items, render, empty) {
    const target = $(body);
    const columns = target.closest("table").querySelectorAll("thead th").length;
    if (!items.length) {
      target.replaceChildren(el("tr", {}, el("td", { className: "empty", colspan: columns }, empty)));
      return;
    }
    target.replaceChildren(...items.map((item) => el("tr", {}, ...render(item).map((cell) => el("td", {}, cell)))));
  }

  async function send(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let doc = null;
    try {
      doc = await response.json();
    } catch (error) {
      doc = null;
    }
    if (!response.ok) {
      notice.className = "notice error";
      notice.replaceChildren(el("strong", {}, `${response.status} ${(doc && doc.code) || "error"}`), `: ${(doc && doc.message) || ""}`);
    } else {
      notice.className = "";
      notice.replaceChildren();
    }
    await refresh();
  }

  function drawCounts(resources) {
    const cards = Object.entries(resources).map(([type, states]) => {
      const total = Object.values(states).reduce((a, b) => a + b, 0);
      const badges = Object.entries(states).map(([state, n]) =>
        el("span", { className: `badge ${tone(state)}`, "data-type": type, "data-state": state }, `${state} ${n}`),
      );
      return el("div", { className: "stat" }, el("h3", {}, `${type} `, el("span", { className: "sub" }, `(${total})`)), el("div", { className: "states" }, ...badges));
    });
    $("counts").replaceChildren(...cards);
  }

  function drawSpark(calls) {
    const spark = $("spark");
    const svg = "http://www.w3.org/2000/svg";
    spark.replaceChildren();
    if (!calls.length) return;
    const start = calls[0].at;
    const span = Math.max(calls[calls.length - 1].at - start, 1);
    const bins = new Array(60).fill(0);
    for (const call of calls) bins[Math.min(59, Math.floor(((call.at - start) / span) * 60))] += 1;
    const top = Math.max(...bins);
    bins.forEach((count, i) => {
      if (!count) return;
      const height = Math.max(2, (count / top) * 42);
      const bar = document.createElementNS(svg, "rect");
      bar.setAttribute("x", String(i * 10 + 1));
      bar.setAttribute("width", "8");
      bar.setAttribute("y", String(44 - height));
      bar.setAttribute("height", String(height));
      const title = document.createElementNS(svg, "title");
      title.textContent = `${count} call(s)`;
      bar.append(title);
      spark.append(bar);
    });
  }

  function drawCalls() {
    if (!last) return;
    const status = $("status-filter").value;
    const path = $("path-filter").value.trim().toLowerCase();
    const shown = last.calls.recent
      .filter((c) => !status || String(c.status).startsWith(status))
      .filter((c) => !path || c.path.toLowerCase().includes(path))
      .reverse()
      .slice(0, 200);
    rows(
      "calls",
      shown,
      (c) => {
        const query = new URLSearchParams(Object.entries(c.query).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v]]))).toString();
        return [
          new Date(c.at * 1000).toISOString().slice(11, 23),
          c.method,
          el("span", { className: "mono" }, c.path + (query ? `?${query}` : "")),
          el("span", { className: `status-${String(c.status)[0]}` }, c.status),
          (c.duration * 1000).toFixed(1),
          text(c.type),
          text(c.id),
          text(c.action),
          el("span", { className: "mono" }, c.body === null ? "" : JSON.stringify(c.body)),
        ];
      },
      "No calls logged.",
    );
    const statuses = Object.entries(last.calls.byStatus).map(([s, n]) => `${s}: ${n}`).join(" · ");
    $("calls-total").textContent = `${last.calls.total} logged${statuses ? " — " + statuses : ""}; newest first`;
  }

  function draw(doc) {
    last = doc;
    drawCounts(doc.resources);
    $("clock-now").textContent = doc.clock.now;
    $("clock-mode").replaceChildren(el("span", { className: `badge ${doc.clock.frozen ? "info" : "ok"}`, id: "clock-state" }, doc.clock.frozen ? "frozen" : "running"));
    rows(
      "pending",
      doc.pending,
      (p) => [`${p.type} ${p.id}`, el("span", { className: `badge ${tone(p.state)}` }, p.state), p.processes.join(" → "), text(p.due || (p.readsLeft ? "after reads" : "manual")), p.dueIn === null ? "—" : `${p.dueIn} s`, text(p.readsLeft)],
      "Nothing pending.",
    );
    rows("policies", doc.transitions.rules, (r) => [text(r.type), text(r.process), text(r.id), r.mode, r.delay, r.reads, text(r.message)], "Default policy only.");
    const fallback = doc.transitions.default;
    $("purge").textContent = `default: ${fallback.mode}, ${fallback.delay} s` + (doc.transitions.purgeAfter === null ? "; no automatic purge" : `; purge after ${doc.transitions.purgeAfter} s`);
    rows(
      "faults",
      doc.faults,
      (f) => [text(f.method), text(f.path), text(f.type), text(f.action), f.drop ? "drop" : f.status ? `${f.status}${f.latency ? ` +${f.latency}s` : ""}` : `+${f.latency}s`, text(f.times), f.hits],
      "No fault rules.",
    );
    drawSpark(doc.calls.recent);
    drawCalls();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  }

  async function refresh() {
    try {
      const response = await fetch("/_fake/summary", { headers: { Accept: "application/json" } });
      if (response.ok) draw(await response.json());
    } catch (error) {
      $("updated").textContent = "the fake does not answer";
    }
  }

  function schedule() {
    if (timer) clearInterval(timer);
    const every = Number($("every").value);
    timer = every ? setInterval(refresh, every) : null;
  }

  $("freeze").addEventListener("click", () => send("/_fake/clock", { freeze: true }));
  $("unfreeze").addEventListener("click", () => send("/_fake/clock", { unfreeze: true }));
  $("advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send("/_fake/clock", { advance: Number($("advance").value) });
  });
  $("set-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send("/_fake/clock", { set: $("set").value.trim() });
  });
  $("advance-manual").addEventListener("click", () => send("/_fake/transitions/advance", {}));
  $("status-filter").addEventListener("change", drawCalls);
  $("path-filter").addEventListener("input", drawCalls);
  $("every").addEventListener("change", schedule);
  refresh();
  schedule();
})();
