// The memory console: plain DOM, no library. Everything shown comes from the admin API of the service that
// served this file. The admin key lives in one variable of this closure: never in a URL, storage or a cookie.
"use strict";

(() => {
  let adminKey = null;
  let config = null;
  let caller = null; // { typed, masked, nextOffset }
  let analyticsLoaded = false;

  // The API sits beside /console/ (whatever prefix a gateway adds before it).
  const apiBase = new URL("../", window.location.href);
  const $ = (id) => document.getElementById(id);
  const PAGES = ["caller", "analytics", "config"];

  class SignedOut extends Error {}

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function svg(tag, attributes = {}, ...children) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    for (const child of children.flat()) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  function say(id, text, kind = "") {
    const node = $(id);
    node.textContent = text;
    node.className = `status ${kind}`.trim();
  }

  function sentence(name) {
    const words = name.replace(/_/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  function day(iso) {
    return iso ? iso.slice(0, 10) : "never";
  }

  // ---- the admin API -----------------------------------------------------------------------------------------

  async function api(method, path, query = {}) {
    const url = new URL(path, apiBase);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: { "X-Admin-Key": adminKey || "", Accept: "application/json" },
        cache: "no-store",
        credentials: "omit",
        referrerPolicy: "no-referrer",
      });
    } catch {
      throw new Error("The service could not be reached.");
    }
    if (response.status === 401) {
      signOut("The admin key was not accepted. Type it again.");
      throw new SignedOut();
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) throw new Error((body && body.error) || `The service answered ${response.status}.`);
    return { status: response.status, body };
  }

  // A "/" between digits ("030/1234567") separates like "-" does; no path segment can carry one, even encoded.
  const callerPath = (typed, what) => `admin/users/${encodeURIComponent(typed.replace(/\//g, " "))}/${what}`;

  function failed(id, error) {
    if (!(error instanceof SignedOut)) say(id, `Error: ${error.message}`, "error");
  }

  // ---- sign-in and pages -------------------------------------------------------------------------------------

  function signOut(message) {
    adminKey = null;
    config = null;
    caller = null;
    analyticsLoaded = false;
    $("caller-result").hidden = true;
    $("analytics-result").hidden = true;
    $("caller-number").value = "";
    $("nav").hidden = true;
    $("sign-out").hidden = true;
    $("agent-type").hidden = true;
    const note = $("sign-in-message");
    note.textContent = message || "";
    note.hidden = !message;
    show("sign-in");
  }

  function show(page) {
    const name = adminKey ? (PAGES.includes(page) ? page : "caller") : "sign-in";
    for (const section of document.querySelectorAll(".page")) section.hidden = section.id !== `page-${name}`;
    for (const link of document.querySelectorAll("#nav a")) {
      if (link.dataset.page === name) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    document.title = `${$(`page-${name}`).querySelector("h1").textContent} · Memory console`;
    if (name === "sign-in") $("admin-key").focus();
    else $(`${name}-title`).focus();
    if (name === "analytics" && !analyticsLoaded) loadAnalytics();
    if (name === "config") renderConfig();
  }

  function route() {
    show(window.location.hash.slice(1));
  }

  async function signIn(event) {
    event.preventDefault();
    const input = $("admin-key");
    const typed = input.value;
    input.value = "";
    if (!typed) {
      signOut("Type the admin key.");
      return;
    }
    if (/[^\u0000-\u00ff]/.test(typed)) { // fetch refuses such a header: it was "The service could not be reached."
      signOut("The admin key was not accepted: it holds a character no header can carry (a typographic quote, an " +
        "emoji?). Type it again.");
      return;
    }
    adminKey = typed;
    try {
      config = (await api("GET", "admin/config")).body;
    } catch (error) {
      if (!(error instanceof SignedOut)) signOut(`Error: ${error.message}`);
      return;
    }
    $("sign-in-message").hidden = true;
    $("agent-type").textContent = `Agent type: ${config.agent_type} (${config.provider})`;
    $("agent-type").hidden = false;
    $("nav").hidden = false;
    $("sign-out").hidden = false;
    route();
  }

  // ---- caller ------------------------------------------------------------------------------------------------

  function lookUp(event) {
    event.preventDefault();
    const typed = $("caller-number").value.trim();
    if (!typed) say("caller-status", "Error: type a phone number or caller id.", "error");
    else showCaller(typed);
  }

  async function showCaller(typed) {
    say("caller-status", "Looking up…");
    $("erase-receipt").hidden = true;
    try {
      const [preview, listing] = await Promise.all([
        api("GET", callerPath(typed, "pre-call")),
        api("GET", callerPath(typed, "memories"), { limit: "50" }),
      ]);
      caller = { typed, masked: listing.body.caller, nextOffset: listing.body.next_offset, shown: 0 };
      renderPreview(preview.body);
      $("memories").tBodies[0].replaceChildren();
      renderMemories(listing.body);
      $("caller-heading").textContent = `Caller ${typed}`;
      $("search-result").hidden = true;
      say("search-status", "");
      $("caller-result").hidden = false;
      const returning = preview.body.next_call.returning ? "a returning caller" : "a new caller: nothing is remembered";
      say("caller-status", `Found ${typed}: ${returning}.`);
    } catch (error) {
      $("caller-result").hidden = true;
      failed("caller-status", error);
    }
  }

  function renderPreview(preview) {
    const next = preview.next_call;
    const greeting = next.first_message_sent ? next.first_message : `${next.first_message} (not sent: the agent's own greeting is used)`;
    const rows = [
      ["Returning caller", next.returning ? "yes" : "no (a new caller)"],
      ["Previous calls", String(next.call_count)],
      ["Memories", String(next.memory_count)],
      ["Greeting", greeting],
      ...Object.entries(next.fields).filter(([, value]) => value).map(([name, value]) => [sentence(name), value]),
    ];
    if (next.variant) rows.push(["Experiment variant", next.variant]);
    if (next.degraded) rows.push(["Warning", "the memory store did not answer: this is the new-caller answer"]);
    $("preview-summary").replaceChildren(...rows.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
    $("preview-context").textContent = next.context;
    $("preview-json").textContent = JSON.stringify(preview.answer, null, 2);
  }

  function renderMemories(listing) {
    const body = $("memories").tBodies[0];
    for (const memory of listing.memories) {
      const status = memory.past
        ? el("span", { class: "tag past" }, `past (changed ${day(memory.past_since)})`)
        : el("span", { class: "tag" }, "current");
      body.append(
        el("tr", { class: memory.past ? "past" : null },
          el("td", {}, status),
          el("td", {}, memory.type, memory.source ? el("span", { class: "muted block" }, memory.source.replace(/_/g, " ")) : null),
          el("td", { class: "memory-text" }, memory.text),
          el("td", { class: "date" }, el("time", { datetime: memory.created_at }, day(memory.created_at))),
          el("td", { class: "date" }, memory.expires_at ? el("time", { datetime: memory.expires_at }, day(memory.expires_at)) : "never"),
          el("td", { class: "mono" }, memory.conversation_id || "—")),
      );
    }
    caller.shown += listing.memories.length;
    if (!caller.shown) body.replaceChildren(el("tr", {}, el("td", { colspan: "6" }, "No memories: a new caller.")));
    caller.nextOffset = listing.next_offset;
    const more = listing.next_offset !== null && listing.next_offset !== undefined;
    $("memories-more").hidden = !more;
    $("memories-title").textContent = `Memories (${caller.shown}${more ? " shown, more below" : ""})`;
  }

  async function moreMemories() {
    if (!caller) return;
    try {
      const listing = await api("GET", callerPath(caller.typed, "memories"), {
        limit: "50",
        offset: String(caller.nextOffset),
      });
      renderMemories(listing.body);
    } catch (error) {
      failed("caller-status", error);
    }
  }

  async function search(event) {
    event.preventDefault();
    const query = $("search-query").value.trim();
    if (!caller || !query) {
      say("search-status", "Error: type a question.", "error");
      return;
    }
    say("search-status", "Searching…");
    try {
      const found = (await api("GET", callerPath(caller.typed, "search"), { q: query })).body;
      $("search-text").textContent = found.heard;
      $("search-json").textContent = JSON.stringify(found.answer, null, 2);
      $("search-result").hidden = false;
      say("search-status", `${found.matches.length} memor${found.matches.length === 1 ? "y" : "ies"} found.`);
    } catch (error) {
      failed("search-status", error);
    }
  }

  function openErase() {
    if (!caller) return;
    $("erase-dialog-text").textContent =
      `Every memory of ${caller.typed} and every archived call event of theirs will be erased. ` +
      "The next call from this number will be a new caller.";
    $("erase-dialog").showModal();
    $("erase-cancel").focus();
  }

  async function erase() {
    if (!caller) return;
    say("caller-status", "Erasing…");
    try {
      const receipt = await api("DELETE", callerPath(caller.typed, "memories"));
      const erased = receipt.body.erased || {};
      const rows = [["Caller", caller.typed]];
      for (const [name, count] of Object.entries(erased)) rows.push([`Erased ${name.replace(/_/g, " ")}`, String(count)]);
      if (receipt.body.queued) rows.push(["Erased shortly by the worker", receipt.body.queued.join(", ").replace(/_/g, " ")]);
      await showCaller(caller.typed);
      $("erase-receipt-list").replaceChildren(...rows.flatMap(([n, v]) => [el("dt", {}, n), el("dd", {}, v)]));
      $("erase-receipt").hidden = false;
      say("caller-status", receipt.status === 202 ? "Erased; the archived events follow shortly." : "Erased.");
      $("erase-title").scrollIntoView({ block: "nearest" });
    } catch (error) {
      failed("caller-status", error);
    }
  }

  // ---- analytics ---------------------------------------------------------------------------------------------

  async function loadAnalytics(event) {
    if (event) event.preventDefault();
    const days = $("period").value;
    say("analytics-status", "Loading…");
    try {
      const report = (await api("GET", "analytics/agent", { days })).body;
      renderAnalytics(report);
      analyticsLoaded = true;
      await loadVariants(days);
      say("analytics-status", `${report.period.first_day} to ${report.period.last_day} (UTC).`);
    } catch (error) {
      failed("analytics-status", error);
    }
  }

  // Experiments (or rollouts) compared by variant; the section stays hidden for an agent type that runs none.
  async function loadVariants(days) {
    const report = (await api("GET", "analytics/agent", { days, by: "variant" })).body;
    renderVariants(report.experiments || []);
  }

  function table(headers, rows, caption) {
    return el("table", {},
      caption ? el("caption", { class: "visually-hidden" }, caption) : null,
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.length ? rows.map((row) => el("tr", {}, row.map((cell) => el("td", {}, cell))))
        : el("tr", {}, el("td", { colspan: String(headers.length) }, "None in this period."))));
  }

  function renderAnalytics(report) {
    const figures = [
      ["Calls", report.calls],
      ["Active callers", report.active_callers],
      ["Returning callers", `${report.returning_callers} (${Math.round(report.returning_caller_rate * 100)}%)`],
      ["New memories", report.new_memories],
      ["Callers remembered", report.total_callers],
      ["Memories kept", report.total_memories],
    ];
    $("analytics-figures").replaceChildren(
      ...figures.map(([name, value]) => el("div", {}, el("dt", {}, name), el("dd", {}, String(value)))),
    );
    const series = report.calls_per_day.map((point) => [point.date, point.calls]);
    $("calls-chart").replaceChildren(barChart(series, "calls-chart-title", "calls"));
    $("calls-table").replaceChildren(table(["Day (UTC)", "Calls"], series.map(([d, n]) => [d, String(n)]), "Calls per day"));
    const first = report.active_callers - report.returning_callers;
    $("returning-chart").replaceChildren(
      splitBar([["Returning", report.returning_callers], ["First-time", first]], "returning-chart-title"),
    );
    $("active-callers").replaceChildren(table(["Caller", "Calls", "Memories"],
      report.most_active_callers.map((c) => [c.caller, String(c.calls), String(c.memories)]), "Most active callers"));
    $("topics").replaceChildren(table(["Topic", "Memories"],
      report.common_topics.map((t) => [t.topic, String(t.memories)]), "Common topics"));
    $("analytics-result").hidden = false;
  }

  function mean(figure) {
    if (!figure || figure.value === null || figure.value === undefined) return "no data";
    const n = (x) => Number(x).toFixed(2);
    return `${n(figure.value)} (${figure.count} calls of ${figure.of} callers; 95%: ${n(figure.low)}–${n(figure.high)})`;
  }

  function share(figure) {
    if (!figure || figure.value === null || figure.value === undefined) return "no data";
    const pct = (x) => `${Math.round(x * 100)}%`;
    return `${pct(figure.value)} (${figure.count} of ${figure.of}; 95%: ${pct(figure.low)}–${pct(figure.high)})`;
  }

  function renderVariants(experiments) {
    const blocks = experiments.map((experiment, index) => {
      const titleId = `variants-${index}-title`;
      const variants = experiment.variants;
      return el("div", { class: "experiment" },
        el("h3", { id: titleId }, `${experiment.experiment}: returning-caller rate by variant (%, with its 95% interval)`),
        el("p", {}, experiment.summary),
        el("div", { class: "chart" }, barChart(
          // a variant without callers has no rate: said in words, never drawn as 0%
          variants.map((v) => (v.returning_caller_rate.value === null ? [v.variant, null]
            : [v.variant, ...["value", "low", "high"].map((k) => Math.round(v.returning_caller_rate[k] * 100))])),
          titleId, "% returning", { labelEvery: true, peak: 100 })),
        el("div", { class: "scroll" }, table(
          ["Variant", "Callers", "Calls", "Calls per caller", "Returning-caller rate", "Tool calls that found something",
            "Degraded pre-calls"],
          variants.map((v) => [
            v.variant + (v.variant === experiment.baseline ? " (baseline)" : ""), String(v.callers), String(v.calls),
            mean(v.calls_per_caller), share(v.returning_caller_rate), share(v.tool_calls_found), share(v.degraded_pre_calls),
          ]), `Variants of ${experiment.experiment}`)));
    });
    $("variants-body").replaceChildren(...blocks);
    $("variants").hidden = !blocks.length;
  }

  // A bar chart as SVG: one bar per point, its value written above it, the axis labelled in text, so nothing
  // depends on colour. Long series show every label only where there is room. A point may carry a 95% interval
  // ([name, value, low, high]), drawn as a whisker; ``peak`` fixes the scale (100 for percentages). A point whose
  // value is null has no data: no bar, the words "no data" instead.
  function barChart(series, labelledBy, unit, { labelEvery = false, peak = null } = {}) {
    const width = 760;
    const height = 220;
    const left = 40;
    const bottom = 30;
    const top = 18;
    const plot = height - top - bottom;
    const slot = Math.min(160, (width - left - 8) / Math.max(1, series.length));
    const top_ = peak ?? Math.max(1, ...series.map(([, n]) => n));
    const y = (value) => top + plot - Math.round((Math.min(value, top_) / top_) * plot);
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": labelledBy, class: "bars",
      "data-points": series.length, "data-total": series.reduce((sum, [, n]) => sum + (n ?? 0), 0),
    });
    chart.append(svg("line", { x1: left, y1: top + plot, x2: width - 8, y2: top + plot, class: "axis" }));
    chart.append(svg("text", { x: left - 6, y: top + 4, class: "tick end" }, String(top_)));
    chart.append(svg("text", { x: left - 6, y: top + plot, class: "tick end" }, "0"));
    const every = labelEvery ? 1 : Math.ceil(series.length / 8);
    const last = series.length - 1;
    series.forEach(([name, n, low, high], index) => {
      const x = left + index * slot + Math.min(2, slot * 0.1);
      const w = Math.max(1, slot - Math.min(4, slot * 0.2));
      if ((last - index) % every === 0) {
        chart.append(svg("text", { x: x + w / 2, y: height - 10, class: "tick" }, labelEvery ? name : name.slice(5)));
      }
      if (n === null) {
        chart.append(svg("text", { x: x + w / 2, y: top + plot - 4, class: "value no-data" }, "no data"));
        return;
      }
      const interval = low !== undefined && high !== undefined;
      const label = `${name}: ${n} ${unit}${interval ? ` (95% interval ${low} to ${high})` : ""}`;
      const bar = { x, y: y(n), width: w, height: top + plot - y(n), class: interval ? "bar light" : "bar" };
      chart.append(svg("rect", bar, svg("title", {}, label)));
      if (interval) {
        const mid = x + w / 2;
        chart.append(svg("line", { x1: mid, y1: y(low), x2: mid, y2: y(high), class: "whisker" }));
        for (const end of [low, high]) {
          chart.append(svg("line", { x1: mid - 8, y1: y(end), x2: mid + 8, y2: y(end), class: "whisker" }));
        }
      }
      if (n > 0 && slot >= 14) {
        const at = interval ? { x: x + w - 6, y: y(n) + 14, class: "value end" } : { x: x + w / 2, y: y(n) - 4, class: "value" };
        chart.append(svg("text", at, String(n)));
      }
    });
    if (!series.some(([, n]) => n > 0)) {
      chart.append(svg("text", { x: left + (width - left) / 2, y: top + plot / 2 }, `No ${unit} in this period`));
    }
    return chart;
  }

  // Parts of one whole as one bar, each part named and counted in text inside or beside it.
  function splitBar(parts, labelledBy) {
    const width = 760;
    const total = parts.reduce((sum, [, n]) => sum + n, 0);
    const chart = svg("svg", { viewBox: `0 0 ${width} 64`, role: "img", "aria-labelledby": labelledBy, class: "split" });
    if (!total) {
      chart.append(svg("rect", { x: 0, y: 0, width, height: 40, class: "part part-1" }));
      chart.append(svg("text", { x: width / 2, y: 25 }, "No callers in this period"));
      return chart;
    }
    let x = 0;
    parts.forEach(([name, n], index) => {
      const w = (n / total) * width;
      chart.append(svg("rect", { x, y: 0, width: w, height: 40, class: `part part-${index}` },
        svg("title", {}, `${name}: ${n}`)));
      const pct = Math.round((n / total) * 100);
      chart.append(svg("text", { x: index === 0 ? 4 : width - 4, y: 58, class: index === 0 ? "tick start" : "tick end" },
        `${name}: ${n} (${pct}%)`));
      x += w;
    });
    return chart;
  }

  // ---- configuration -----------------------------------------------------------------------------------------

  function renderConfig() {
    if (!config) return;
    const memory = config.memory || {};
    const rows = [
      ["Agent type", config.agent_type],
      ["Provider", config.provider],
      ["Response format", config.response_format],
      ["Memory store", config.settings?.memory_backend],
      ["Memory types", (memory.types || []).join(", ")],
      ["Retention (days)", Object.entries(memory.retention_days || {}).map(([t, d]) => `${t} ${d}`).join(", ")],
      ["Search limit", memory.search_limit],
      ["Archived events kept (days)", `${config.archive_retention_days}, expired by ${config.archive_expired_by}`],
      ["Post-call events remembered", (config.ingest_events || []).join(", ")],
    ];
    $("config-summary").replaceChildren(
      ...rows.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value === undefined ? "" : String(value))]),
    );
    $("config-secrets").replaceChildren(table(["Secret", "Status"],
      Object.entries(config.secrets || {}).map(([name, status]) => [el("code", {}, name), status]), "Secrets"));
    $("config-endpoints").replaceChildren(table(["Endpoint", "Enabled", "Authentication", "Secret"],
      Object.entries(config.endpoints || {}).map(([name, e]) => [
        el("code", {}, name), e.enabled ? "yes" : "no",
        [e.auth?.scheme, e.auth?.header].filter(Boolean).join(": "), e.auth?.secret ? el("code", {}, e.auth.secret) : "",
      ]), "Endpoints"));
    $("config-json").textContent = JSON.stringify(config, null, 2);
  }

  // ---- wiring ------------------------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut("Signed out."));
    $("lookup-form").addEventListener("submit", lookUp);
    $("search-form").addEventListener("submit", search);
    $("memories-more").addEventListener("click", moreMemories);
    $("erase-open").addEventListener("click", openErase);
    $("erase-dialog").addEventListener("close", () => {
      if ($("erase-dialog").returnValue === "erase") erase();
      $("erase-open").focus();
    });
    $("period-form").addEventListener("submit", loadAnalytics);
    window.addEventListener("hashchange", route);
    route();
  });
})();
