/* The care responders' console: live calls over ws/care/<street>/, a beep for new ones, the map, the moves. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("care-config");
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var list = document.getElementById("care-calls");
  var tpl = document.getElementById("call-template");
  var empty = document.getElementById("no-calls");
  var status = document.getElementById("live-status");
  var i18n = document.getElementById("care-i18n").dataset;
  var csrf = (document.querySelector("#csrf-form input[name=csrfmiddlewaretoken]") || {}).value || "";
  var map = null, markers = {};
  var en = document.documentElement.lang === "en";
  function label(call, name) { return (en && call[name + "_en"]) || call[name]; }

  // The map works without a tile server: the street's own outlines (unit grids dashed, named roads, compounds;
  // linli.places.gazetteer.outlines) are drawn from the page's config, and each live call is a pin on its compound.
  function drawOutlines(outlines) {
    var names = L.layerGroup(), bounds = L.latLngBounds([]);
    if (!cfg.tileUrl) {
      (outlines.grids || []).forEach(function (g) {
        L.geoJSON(g.geometry, { interactive: false, style: { className: "care-outline care-outline--grid", color: "#6b7280", weight: 1, dashArray: "4 4", fill: false } }).addTo(map);
      });
      (outlines.roads || []).forEach(function (r) {
        var line = L.polyline(r.line, { interactive: false, className: "care-outline care-outline--road", color: "#9ca3af", weight: 9, opacity: 0.55, lineCap: "round" }).addTo(map);
        line.bindTooltip(r.name, { permanent: true, direction: "center", className: "outline-label outline-label--road" });
        names.addLayer(line);
      });
    }
    (outlines.compounds || []).forEach(function (c) {
      if (c.lat == null) { return; }
      var shape = c.geometry && c.geometry.type && c.geometry.type !== "Point" ?
        L.geoJSON(c.geometry, { interactive: false, style: { className: "care-outline care-outline--compound", color: "#b45309", weight: 2, fillColor: "#fde68a", fillOpacity: 0.35 } }) :
        L.circleMarker([c.lat, c.lng], { interactive: false, className: "care-outline care-outline--compound", radius: 6, color: "#b45309", fillOpacity: 0.6 });
      shape.addTo(map);
      bounds.extend([c.lat, c.lng]);
      var tag = L.marker([c.lat, c.lng], { interactive: false, keyboard: false, opacity: 0 });
      tag.bindTooltip(c.name, { permanent: true, direction: "center", className: "outline-label" });
      names.addLayer(tag);
    });
    function toggleNames() {
      if (map.getZoom() >= 16) { names.addTo(map); } else { map.removeLayer(names); }
    }
    map.on("zoomend", toggleNames);
    toggleNames();
    return bounds;
  }
  function initMap() {
    var el = document.getElementById("care-map");
    if (!window.L || !el) { return; }
    var outlines = cfg.outlines || {};
    if (!cfg.center && !(outlines.compounds || []).length) { return; }
    el.hidden = false;
    map = L.map(el, { zoomControl: true, attributionControl: !!cfg.tileUrl });
    if (cfg.tileUrl) { L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(map); }
    map.setView(cfg.center || [31.23, 121.47], 16);
    var bounds = drawOutlines(outlines);
    if (!cfg.center && bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 }); }
    (cfg.pins || []).forEach(pin);
    el.dataset.ready = "1";
  }
  function pin(call) {
    if (!map || call.lat == null) { return; }
    if (markers[call.id]) { map.removeLayer(markers[call.id]); }
    if (call.status === "closed") { delete markers[call.id]; return; }
    markers[call.id] = L.circleMarker([call.lat, call.lng], {
      radius: 12, weight: 3, fillOpacity: 0.8, className: "care-call-pin care-call-pin--" + call.kind,
      color: call.kind === "emergency" ? "#b91c1c" : "#1e40af"
    }).addTo(map).bindTooltip(call.address || "", { permanent: true, direction: "top", className: "outline-label care-pin-label" });
    map.panTo([call.lat, call.lng]);
  }

  var audio = null;
  function beep() {
    if (!audio || audio.state !== "running") { return; }
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 988; gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.6);
    osc.connect(gain); gain.connect(audio.destination); osc.start(); osc.stop(audio.currentTime + 0.7);
  }
  var soundBtn = document.getElementById("sound-toggle");
  var Ctx = window.AudioContext || window.webkitAudioContext;
  if (soundBtn && Ctx) {
    soundBtn.hidden = false;
    soundBtn.addEventListener("click", function () {
      if (!audio) { audio = new Ctx(); }
      if (audio.state === "suspended") { audio.resume(); }
      soundBtn.setAttribute("aria-pressed", "true"); soundBtn.textContent = i18n.soundOn;
    });
  }

  function setText(li, name, value) {
    var el = li.querySelector("[data-f='" + name + "']");
    if (el) { el.textContent = value == null ? "" : String(value); }
  }
  function renderCard(li, call) {
    var box = li.querySelector("[data-f='card']");
    if (!box) { return; }
    box.textContent = "";
    var p = call.person;
    if (!p) { return; }
    var head = document.createElement("p");
    var strong = document.createElement("strong"); strong.textContent = p.name;
    head.appendChild(strong); head.appendChild(document.createTextNode(" · " + (p.phone || "")));
    box.appendChild(head);
    if (p.health_notes) { var n = document.createElement("p"); n.textContent = p.health_notes; box.appendChild(n); }
    var ul = document.createElement("ul");
    (p.contacts || []).forEach(function (k) {
      var item = document.createElement("li");
      item.appendChild(document.createTextNode(k.name + " " + (k.relation || "") + " "));
      var a = document.createElement("a"); a.href = "tel:" + k.phone; a.textContent = k.phone; item.appendChild(a);
      ul.appendChild(item);
    });
    box.appendChild(ul);
  }
  function upsert(call, isNew) {
    var li = list.querySelector("li[data-call-id='" + call.id + "']");
    if (call.status === "closed") { if (li) { li.remove(); } pin(call); empty.hidden = list.children.length > 0; return; }
    if (!li) {
      li = tpl.content.firstElementChild.cloneNode(true);
      li.id = "call-" + call.id; li.dataset.callId = call.id;
      li.className = "care-call care-call--" + call.kind + " care-call--new";
      list.insertBefore(li, list.firstChild);
      if (isNew) { beep(); }
    }
    li.dataset.status = call.status;
    setText(li, "kind_label", label(call, "kind_label")); setText(li, "id", call.id); setText(li, "status_label", label(call, "status_label"));
    setText(li, "committee", call.committee); setText(li, "address", call.address);
    setText(li, "created_at", (call.created_at || "").slice(11, 19));
    setText(li, "actions", (label(call, "action_labels") || []).join(" · "));
    var link = li.querySelector("[data-f='link']"); if (link) { link.href = cfg.call_url.replace("{id}", call.id); }
    renderCard(li, call);
    pin(call);
    empty.hidden = true;
  }

  list.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-move]");
    if (!btn) { return; }
    var li = btn.closest("li[data-call-id]");
    var body = { move: btn.dataset.move };
    if (btn.dataset.action) { body.actions = [btn.dataset.action]; }
    btn.disabled = true;
    fetch(cfg.move_url.replace("{id}", li.dataset.callId), {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf }, body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (d) { return [r.ok, d]; }); }).then(function (res) {
      btn.disabled = false;
      if (res[0]) { upsert(res[1], false); } else { status.textContent = res[1].detail || res[1].title || i18n.failed; }
    }).catch(function () { btn.disabled = false; status.textContent = i18n.failed; });
  });

  var delay = 1000;
  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + cfg.ws);
    ws.onmessage = function (ev) {
      var msg = JSON.parse(ev.data);
      if (msg.type === "hello") { document.body.dataset.live = "1"; status.textContent = i18n.live; delay = 1000; return; }
      if (msg.type === "care.call" && msg.call) { upsert(msg.call, msg.event === "created" || msg.event === "escalated"); }
    };
    ws.onclose = function (ev) {
      document.body.dataset.live = "0";
      if (ev.code === 4403) { status.textContent = i18n.denied; return; }
      status.textContent = i18n.offline;
      setTimeout(connect, delay); delay = Math.min(delay * 2, 15000);
    };
  }
  initMap();
  Array.prototype.forEach.call(list.querySelectorAll("li[data-call-id]"), function (li) { li.dataset.status = li.dataset.status || ""; });
  connect();
})();
