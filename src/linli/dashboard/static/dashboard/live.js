/* The live picture of a grid (/dashboard/live/) and the command centre's big screen (/dashboard/screen/).
 *
 * The server renders the numbers; this keeps them current over ws/dashboard/live/<grid>/ ({"type": "live",
 * "picture": ...} on every change), draws the map (the grid's outline, its child grids — click one to drill
 * down — and the open cases coloured by their SLA clock), and on the big screen rotates the panels.
 *
 * Built to run for days on a wall: every update REPLACES what it shows (numbers set in place, the child rows and
 * the pins rebuilt, never appended), there is one 1-second timer for the clock and the rotation, one ping timer,
 * at most one reconnect timer (back-off 1 s → 30 s with jitter), and nothing kept per update. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var cfg = readJson("live-config");
  var root = document.querySelector("[data-live-root]");
  if (!cfg || !root) { return; }
  var t = (document.getElementById("live-i18n") || { dataset: {} }).dataset;
  var isScreen = root.hasAttribute("data-screen");
  var statusEl = root.querySelector("[data-live-status]");
  var state = { updates: 0, at: null, panel: 0, rotations: 0, connected: false, closes: 0 };
  window.linliLive = state;

  // ---- Numbers -----------------------------------------------------------------------------------
  function valueAt(picture, path) {
    var parts = path.split(".");
    var v = picture;
    for (var i = 0; i < parts.length; i++) {
      if (v === null || typeof v !== "object") { return null; }
      v = v[parts[i]];
    }
    return v;
  }

  function cell(tag, text, hot) {
    var el = document.createElement(tag);
    el.textContent = String(text);
    if (hot) { el.className = "is-hot"; }
    return el;
  }

  function childRows(picture) {
    var bodies = root.querySelectorAll("[data-children]");
    for (var b = 0; b < bodies.length; b++) {
      var rows = [];
      (picture.children || []).forEach(function (c) {
        var tr = document.createElement("tr");
        tr.dataset.grid = String(c.id);
        var th = document.createElement("th");
        th.scope = "row";
        var a = document.createElement("a");
        a.href = "?grid=" + c.id;
        a.textContent = c.name;
        th.appendChild(a);
        tr.appendChild(th);
        tr.appendChild(cell("td", c.cases_open, false));
        tr.appendChild(cell("td", c.late, c.late > 0));
        tr.appendChild(cell("td", c.late3, c.late3 > 0));
        tr.appendChild(cell("td", c.reports_hour, false));
        tr.appendChild(cell("td", c.calls_open, c.calls_open > 0));
        tr.appendChild(cell("td", c.meals_ordered, false));
        tr.appendChild(cell("td", c.queue_waiting, false));
        tr.appendChild(cell("td", c.gates_offline, c.gates_offline > 0));
        rows.push(tr);
      });
      bodies[b].replaceChildren.apply(bodies[b], rows);
    }
  }

  function timeText(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) { return ""; }
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function apply(picture) {
    var els = root.querySelectorAll("[data-k]");
    for (var i = 0; i < els.length; i++) {
      var v = valueAt(picture, els[i].dataset.k);
      if (v === null || v === undefined) { continue; }
      els[i].textContent = String(v);
      if (els[i].hasAttribute("data-alert")) { els[i].classList.toggle("is-hot", Number(v) > 0); }
    }
    var at = root.querySelectorAll("[data-at]");
    for (var j = 0; j < at.length; j++) { at[j].textContent = timeText(picture.at); at[j].setAttribute("datetime", picture.at); }
    childRows(picture);
    pins(picture);
    state.at = picture.at;
  }

  // ---- Map ---------------------------------------------------------------------------------------
  var map = null;
  var pinLayer = null;
  var PIN_COLOURS = { due: "#15803d", late: "#d97706", late3: "#b91c1c", none: "#4b5563", done: "#60a5fa" };

  function drawMap() {
    var el = document.getElementById("live-map");
    if (!el || typeof L === "undefined") { return; }
    map = L.map(el, { zoomControl: !isScreen, attributionControl: true, keyboard: !isScreen, zoomSnap: 0.25 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    if (cfg.tileUrl) { L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(map); }
    var geo = cfg.geometries || {};
    var bounds = null;
    var children = [];
    var outlines = cfg.outlines || {};
    (outlines.roads || []).forEach(function (r) {
      L.polyline(r.line, { interactive: false, color: isScreen ? "#374151" : "#c7c2b8", weight: 7, opacity: 0.8, lineCap: "round" }).addTo(map);
    });
    (outlines.compounds || []).forEach(function (c) {
      if (c.geometry && c.geometry.type !== "Point") {
        L.geoJSON(c.geometry, { interactive: false, style: { color: "#b45309", weight: 1, fillColor: "#fde68a", fillOpacity: isScreen ? 0.12 : 0.3 } }).addTo(map);
      } else {
        L.circleMarker([c.lat, c.lng], { interactive: false, radius: 4, color: "#b45309", weight: 1, fillOpacity: 0.5 }).addTo(map);
      }
    });
    if (geo.grid) {
      var outline = L.geoJSON(geo.grid, { interactive: false, style: { color: "#1d4ed8", weight: 3, fill: false } }).addTo(map);
      bounds = outline.getBounds();
    }
    (geo.children || []).forEach(function (c) {
      var layer = L.geoJSON(c.geometry, {
        style: { color: "#6b7280", weight: 2, dashArray: "6 4", fillColor: "#93c5fd", fillOpacity: 0.12 }
      }).addTo(map);
      layer.bindTooltip(c.name, { permanent: true, direction: "center", className: "live-grid-label" });
      layer.on("click", function () { window.location.href = cfg.page + "?grid=" + c.id; });
      children.push([layer, c]);
    });
    pinLayer = L.layerGroup().addTo(map);
    if (bounds && bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
    else { map.setView(cfg.center, 15); }
    // Once the map has a view its shapes are drawn: name each child grid's shape (a test and a screen reader find it).
    children.forEach(function (pair) {
      pair[0].eachLayer(function (l) {
        var path = l.getElement ? l.getElement() : null;
        if (path) {
          // A shape that opens the grid's page: a link by role, so its name (and its label's description) may be given.
          path.setAttribute("role", "link");
          path.setAttribute("data-grid", String(pair[1].id));
          path.setAttribute("aria-label", pair[1].name);
        }
      });
    });
  }

  function cap(s) { return s.charAt(0).toUpperCase() + s.slice(1); } // "in_progress" → dataset key "statusIn_progress"

  function pins(picture) {
    if (!pinLayer) { return; }
    pinLayer.clearLayers();
    ((picture.cases || {}).pins || []).forEach(function (p) {
      var m = L.circleMarker([p.lat, p.lng], {
        radius: isScreen ? 9 : 7, color: "#111827", weight: 1, fillColor: PIN_COLOURS[p.sla] || PIN_COLOURS.none, fillOpacity: 0.9
      });
      var label = (t.case || "") + " #" + p.id + " · " + p.category + " · " + (t["status" + cap(p.status)] || p.status) +
        " · " + (t["sla" + cap(p.sla)] || p.sla);
      m.bindTooltip(label);
      pinLayer.addLayer(m);
      var el = m.getElement ? m.getElement() : null;
      if (el) { el.setAttribute("role", "img"); el.setAttribute("aria-label", label); } // a named picture of the case
    });
  }

  // ---- Socket ------------------------------------------------------------------------------------
  var ws = null;
  var delay = 1000;
  var retryTimer = null;
  var stopped = false;

  function say(text, ok) {
    if (!statusEl) { return; }
    statusEl.textContent = text || "";
    statusEl.dataset.live = ok ? "1" : "0";
  }

  function retry() {
    if (stopped || retryTimer !== null) { return; }
    var wait = Math.min(delay, 30000) * (0.75 + Math.random() * 0.5);
    delay = Math.min(delay * 2, 30000);
    retryTimer = window.setTimeout(function () { retryTimer = null; connect(); }, wait);
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    try { ws = new WebSocket(proto + location.host + cfg.ws); } catch (e) { retry(); return; }
    ws.onopen = function () { delay = 1000; };
    ws.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "hello") { state.connected = true; say(t.live, true); document.body.dataset.live = "1"; }
      else if (msg.type === "live" && msg.picture) { state.updates += 1; apply(msg.picture); }
    };
    ws.onclose = function (e) {
      ws = null;
      state.connected = false;
      state.closes += 1;
      document.body.dataset.live = "0";
      if (e.code === 4403) { stopped = true; say(t.denied, false); return; }
      say(t.offline, false);
      retry();
    };
  }

  window.setInterval(function () {
    if (ws && ws.readyState === 1) { ws.send('{"type":"ping"}'); }
  }, 25000);

  // ---- Big screen: the clock and the rotation ---------------------------------------------------
  function rotate() {
    var panels = root.querySelectorAll(".screen__panel");
    var dots = root.querySelectorAll(".screen__dots li");
    var n = panels.length;
    for (var step = 1; step <= n; step++) {
      var next = (state.panel + step) % n;
      var empty = panels[next].querySelector("section[hidden]") && !panels[next].querySelector("section:not([hidden])");
      if (!empty) { state.panel = next; break; }
    }
    for (var i = 0; i < n; i++) {
      panels[i].classList.toggle("is-current", i === state.panel);
      if (dots[i]) { dots[i].classList.toggle("is-current", i === state.panel); }
    }
    state.rotations += 1;
    if (state.panel === 0 && map) { map.invalidateSize(); }
  }

  if (isScreen) {
    var clock = root.querySelector("[data-clock]");
    var seconds = 0;
    var every = Math.max(5, Number(cfg.rotateSeconds) || 15);
    var dots0 = root.querySelectorAll(".screen__dots li");
    if (dots0[0]) { dots0[0].classList.add("is-current"); }
    window.setInterval(function () {
      var now = new Date();
      if (clock) { clock.textContent = timeText(now.toISOString()); }
      seconds += 1;
      if (seconds % every === 0) { rotate(); }
    }, 1000);
  }

  drawMap();
  var first = readJson("live-picture");
  if (first) { apply(first); }
  connect();
})();
