/* Staff console: the cases map, live rows over ws/cases/<street>/ (new case → row at the top, a short beep made
 * with the WebAudio API, an unread badge in the header and the tab title), select-all for bulk moves; and the
 * small map on a case's page. The pages work without it (plain forms and links). */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function baseMap(el, cfg) {
    if (!el || typeof L === "undefined") { return null; }
    el.hidden = false;
    var map = L.map(el, { zoomControl: true, attributionControl: true });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>'); // no flag: a neutral attribution
    if (cfg.tileUrl) { L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(map); }
    return map;
  }

  function pin(map, p, className) {
    var span = document.createElement("span");
    return L.marker([p.lat, p.lng], {
      icon: L.divIcon({ className: "marker " + (className || "kind--party"), html: span, iconSize: [24, 24], iconAnchor: [12, 24] }),
      title: p.label || "", alt: p.label || "", keyboard: true
    }).addTo(map);
  }

  // ---- A case's page -----------------------------------------------------------------------------
  var caseCfg = readJson("case-map-config");
  if (caseCfg) {
    var cmap = baseMap(document.getElementById("case-map"), caseCfg);
    if (cmap) {
      cmap.setView([caseCfg.case.lat, caseCfg.case.lng], 17);
      pin(cmap, caseCfg.case, "kind--party");
      (caseCfg.reports || []).forEach(function (r) {
        L.circleMarker([r.lat, r.lng], { radius: 5, color: "#1d4ed8" }).addTo(cmap);
      });
    }
  }

  // ---- The console -------------------------------------------------------------------------------
  var cfg = readJson("console-config");
  if (!cfg) { return; }
  var t = (document.getElementById("console-i18n") || { dataset: {} }).dataset;
  var tbody = document.getElementById("case-rows");
  var badge = document.getElementById("live-badge");
  var countEl = document.getElementById("live-count");
  var statusEl = document.getElementById("live-status");
  var soundBtn = document.getElementById("sound-toggle");
  var selectAll = document.getElementById("select-all");
  var baseTitle = document.title;
  var unread = 0;
  var markers = {};

  var map = baseMap(document.getElementById("console-map"), cfg);
  if (map) {
    var rows = readJson("console-cases") || [];
    var points = [];
    rows.forEach(function (r) { addMarker(r); points.push([r.lat, r.lng]); });
    if (points.length) { map.fitBounds(points, { padding: [24, 24], maxZoom: 17 }); } else { map.setView(cfg.center, 15); }
  }

  function caseUrl(id) { return cfg.caseUrl.replace(/\/0\/$/, "/" + id + "/"); }

  function addMarker(r) {
    if (!map || markers[r.id]) { return; }
    var m = pin(map, r, "kind--party");
    var a = document.createElement("a");
    a.href = r.url || caseUrl(r.id);
    a.textContent = r.label;
    m.bindPopup(a);
    markers[r.id] = m;
  }

  if (selectAll) {
    selectAll.hidden = false;
    selectAll.addEventListener("change", function () {
      tbody.querySelectorAll("input[name=case_ids]").forEach(function (box) { box.checked = selectAll.checked; });
    });
  }

  // ---- Sound: a short beep from an oscillator (no audio file). Browsers start audio only after a gesture.
  var audio = null;
  function ensureAudio() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return null; }
    if (!audio) { audio = new Ctx(); }
    if (audio.state === "suspended") { audio.resume(); }
    return audio;
  }
  function beep() {
    var ctx = audio;
    if (!ctx || ctx.state !== "running") { return; }
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.25, ctx.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 0.35);
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.4);
  }
  if (soundBtn && (window.AudioContext || window.webkitAudioContext)) {
    soundBtn.hidden = false;
    soundBtn.addEventListener("click", function () {
      ensureAudio();
      soundBtn.setAttribute("aria-pressed", "true");
      soundBtn.textContent = t.soundOn || "";
      window.setTimeout(beep, 50);
    });
    document.addEventListener("click", function () { if (audio) { ensureAudio(); } }, { once: true });
  }

  // ---- Unread badge
  function setUnread(n) {
    unread = n;
    countEl.textContent = String(n);
    badge.hidden = n === 0;
    document.title = n ? "(" + n + ") " + baseTitle : baseTitle;
  }
  badge.addEventListener("click", function () { setUnread(0); });

  // ---- Rows
  // Labels come from the page (views/console.py: time_formats, count_formats), in the page's language.
  function fill(format, values) {
    return String(format || "").replace(/%\((\w+)\)s|\{(\w+)\}/g, function (all, a, b) {
      var v = values[a || b];
      return v === undefined ? all : String(v);
    });
  }
  function plural(formats, n) { return fill(n === 1 ? formats.one : formats.other, { n: n }); }

  function timeLeft(iso) {
    if (!iso) { return null; }
    var f = cfg.timeFormats || {};
    var minutes = Math.floor((new Date(iso).getTime() - Date.now()) / 60000);
    var span = Math.abs(minutes);
    var d = Math.floor(span / 1440), h = Math.floor((span % 1440) / 60), m = span % 60;
    var text = d ? fill(h ? f.dh : f.d, { d: d, h: h }) : fill(h ? f.hm : f.m, { h: h, m: m });
    return { overdue: minutes < 0, label: fill(minutes < 0 ? f.over : f.left, { time: text }) };
  }

  function cell(tr, content, className) {
    var td = document.createElement("td");
    if (className) { td.className = className; }
    if (content instanceof Node) { td.appendChild(content); } else { td.textContent = content == null ? "" : String(content); }
    tr.appendChild(td);
    return td;
  }

  function statusPill(c) {
    var s = document.createElement("span");
    s.className = "case-status case-status--" + c.status;
    s.textContent = (ENGLISH && c.status_label_en) || c.status_label;
    return s;
  }

  var UNRESOLVED = { "new": 1, dispatched: 1, accepted: 1, in_progress: 1 };
  // A push reaches every console in both languages: the page's own.
  var ENGLISH = (document.documentElement.lang || "").indexOf("en") === 0;
  function catName(c) { return (ENGLISH && c.category.name_en) || c.category.name; }

  function buildRow(c) {
    var tr = document.createElement("tr");
    tr.className = "case-row case-row--new" + (c.category.urgent ? " case-row--urgent" : "");
    tr.dataset.caseId = c.id;
    tr.dataset.status = c.status;
    tr.dataset.category = c.category.code;
    tr.dataset.grid = gridKey(c);
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "case_ids"; box.value = c.id; box.setAttribute("form", "bulk-form");
    box.setAttribute("aria-label", "#" + c.id);
    cell(tr, box);
    var a = document.createElement("a");
    a.className = "case-link"; a.href = caseUrl(c.id); a.textContent = "#" + c.id;
    cell(tr, a);
    var cat = cell(tr, catName(c), "case-row__category");
    if (c.category.urgent) {
      var b = document.createElement("span"); b.className = "badge badge--urgent"; b.textContent = t.urgent || "";
      cat.appendChild(document.createTextNode(" ")); cat.appendChild(b);
    }
    var st = cell(tr, statusPill(c));
    var fresh = document.createElement("span"); fresh.className = "badge badge--urgent"; fresh.textContent = t["new"] || "";
    st.appendChild(document.createTextNode(" ")); st.appendChild(fresh);
    cell(tr, c.grid ? c.grid.name : (t.hq || ""), "case-row__grid");
    var left = UNRESOLVED[c.status] ? timeLeft(c.resolution_due_at) : null;
    var sla = document.createElement("span");
    sla.className = "sla" + (left && left.overdue ? " sla--overdue" : "");
    sla.textContent = left ? left.label : "—";
    cell(tr, sla, "case-row__sla");
    cell(tr, c.reports_count, "case-row__count");
    var where = cell(tr, "", "case-row__where");
    if (c.where) {
      var spot = document.createElement("span"); spot.className = "case-row__spot"; spot.textContent = c.where;
      where.appendChild(spot);
    }
    if (c.address || !c.where) {
      var note = document.createElement("span"); note.className = "muted"; note.textContent = c.address || "";
      where.appendChild(note);
    }
    var when = new Date(c.created_at);
    var pad = function (n) { return ("0" + n).slice(-2); };
    cell(tr, pad(when.getMonth() + 1) + "-" + pad(when.getDate()) + " " + pad(when.getHours()) + ":" + pad(when.getMinutes())).className = "muted";
    return tr;
  }

  function isOverdue(c) {
    var f = cfg.filters || {};
    return (f.unresolved || []).indexOf(c.status) >= 0 && !!c.resolution_due_at &&
      new Date(c.resolution_due_at).getTime() < Date.now();
  }

  function contains(haystack, needle) { return String(haystack || "").toLowerCase().indexOf(needle) >= 0; }

  // The same filters as the server's list (selectors.case_list): status, category, grid subtree, overdue, text.
  function matchesFilters(c) {
    var f = cfg.filters || {};
    if (f.category && f.category !== c.category.code) { return false; }
    if (f.gridIds && (!c.grid || f.gridIds.indexOf(c.grid.id) < 0)) { return false; }
    if (f.overdue === "1" && !isOverdue(c)) { return false; }
    if (f.overdue === "0" && isOverdue(c)) { return false; }
    if (f.q) {
      var q = f.q.trim().toLowerCase();
      var id = q.replace(/^#/, "");
      var byId = /^\d+$/.test(id) && Number(id) === c.id;
      if (!byId && !contains(c.description, q) && !contains(c.address, q) && !contains(c.category.name, q) && !contains(c.category.name_en, q)) { return false; }
    }
    if (f.status === "all") { return true; }
    if (f.status === "open" || !f.status) { return (f.open || []).indexOf(c.status) >= 0; }
    return f.status === c.status;
  }

  // ---- Counts: the total and the per-grid summary follow the rows the list shows.
  var countBox = document.getElementById("case-count");
  var countText = document.getElementById("case-count-text");
  var summary = document.getElementById("grid-summary");

  function bumpTotal(delta) {
    if (!countBox || !countText) { return; }
    var n = Math.max(0, Number(countBox.dataset.count || 0) + delta);
    countBox.dataset.count = String(n);
    countText.textContent = plural(cfg.countFormats || {}, n);
  }

  function gridKey(c) { return c.grid ? c.grid.external_id : ""; }

  function summaryItem(key, c) {
    if (!summary) { return null; }
    var items = summary.querySelectorAll("li[data-grid]");
    for (var i = 0; i < items.length; i++) { if (items[i].dataset.grid === key) { return items[i]; } }
    var li = document.createElement("li");
    li.className = "tag";
    li.dataset.grid = key;
    li.dataset.count = "0";
    var name = document.createElement("span");
    name.className = "grid-summary__name";
    name.textContent = c.grid ? c.grid.name : (t.hq || "");
    var count = document.createElement("span");
    count.className = "grid-summary__count";
    li.appendChild(name);
    li.appendChild(document.createTextNode(" · "));
    li.appendChild(count);
    summary.appendChild(li);
    summary.hidden = false;
    return li;
  }

  function bumpGrid(key, c, delta) {
    var li = summaryItem(key, c);
    if (!li) { return; }
    var n = Math.max(0, Number(li.dataset.count || 0) + delta);
    li.dataset.count = String(n);
    if (n === 0 && !li.querySelector(".sla--overdue")) { li.remove(); return; }
    li.querySelector(".grid-summary__count").textContent = plural(cfg.gridCountFormats || {}, n);
  }

  function removeRow(row, c) {
    row.remove();
    bumpTotal(-1);
    bumpGrid(row.dataset.grid || "", c, -1);
    if (markers[c.id] && map) { map.removeLayer(markers[c.id]); delete markers[c.id]; }
  }

  function onChange(msg) {
    var c = msg.case;
    if (!c || !c.id) { return; }
    var row = tbody.querySelector("tr[data-case-id='" + c.id + "']");
    if (row) {
      if (!matchesFilters(c)) { removeRow(row, c); return; }  // e.g. closed while the list shows open cases
      row.dataset.status = c.status;
      if ((row.dataset.grid || "") !== gridKey(c)) {  // moved to another grid
        bumpGrid(row.dataset.grid || "", c, -1);
        bumpGrid(gridKey(c), c, 1);
        row.dataset.grid = gridKey(c);
        var gridCell = row.querySelector(".case-row__grid");
        if (gridCell) { gridCell.textContent = c.grid ? c.grid.name : (t.hq || ""); }
      }
      var pill = row.querySelector(".case-status");
      if (pill) { pill.replaceWith(statusPill(c)); }
      var count = row.querySelector(".case-row__count");
      if (count) { count.textContent = String(c.reports_count); }
      return;
    }
    if (!matchesFilters(c)) { return; }
    var empty = document.getElementById("no-cases");
    if (empty) { empty.hidden = true; }
    tbody.insertBefore(buildRow(c), tbody.firstChild);
    bumpTotal(1);
    bumpGrid(gridKey(c), c, 1);
    var hadMarkers = Object.keys(markers).length > 0;
    addMarker({ id: c.id, lat: c.lat, lng: c.lng, label: "#" + c.id + " " + catName(c), url: caseUrl(c.id) });
    if (map && !hadMarkers) { map.setView([c.lat, c.lng], 16); }
    if (msg.event === "created") {
      setUnread(unread + 1);
      beep();
    }
  }

  // ---- The socket, reconnecting with back-off; 4403 (not staff here) stops it. The cursor is the latest change
  // time seen (the page's render time at first): a reconnect asks for every change since, so nothing is missed.
  var delay = 1000;
  var cursor = cfg.since || "";
  function advance(at) { if (at && (!cursor || Date.parse(at) > Date.parse(cursor))) { cursor = at; } }
  function connect() {
    if (!("WebSocket" in window)) { return; }
    var proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    var query = cursor ? "?since=" + encodeURIComponent(cursor) : "";
    var ws = new WebSocket(proto + "//" + window.location.host + cfg.wsPath + query);
    var ping = null;
    ws.onopen = function () {
      delay = 1000;
      ping = window.setInterval(function () { if (ws.readyState === 1) { ws.send('{"type":"ping"}'); } }, 25000);
    };
    ws.onmessage = function (evt) {
      var msg;
      try { msg = JSON.parse(evt.data); } catch (e) { return; }
      if (msg.type === "case.changed") { onChange(msg); advance(msg.case && msg.case.updated_at); }
      if (msg.type === "hello" || msg.type === "caught_up") { advance(msg.cursor); }
      if (msg.type === "hello") {  // subscribed: changes from now on arrive here
        statusEl.hidden = false;
        statusEl.textContent = t.live || "";
        document.body.dataset.live = "1";
      }
    };
    ws.onclose = function (evt) {
      if (ping) { window.clearInterval(ping); }
      document.body.dataset.live = "0";
      statusEl.hidden = false;
      if (evt.code === 4403) { statusEl.textContent = t.denied || ""; return; }
      statusEl.textContent = t.offline || "";
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
}());
