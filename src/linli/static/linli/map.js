/* Service map page: Leaflet markers for the street's points, kept in step with the htmx-filtered list,
 * plus "near me" (browser geolocation) and a typed origin matched against the street's places. */
(function () {
  "use strict";

  function readJson(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var config = readJson("map-config") || {};
  var places = readJson("places-data") || [];
  var t = config.i18n || {};
  var form = document.getElementById("filters");
  var fromInput = document.getElementById("from-input");
  var results = document.getElementById("results");
  var nearMe = document.getElementById("near-me");
  var originBox = document.getElementById("origin-box");
  var originInput = document.getElementById("origin-input");
  var originGo = document.getElementById("origin-go");
  var statusEl = document.getElementById("origin-status");
  var atInput = document.getElementById("at-input");
  var byId = {};
  places.forEach(function (p) { byId[p.id] = p; });

  // Controls that only work with JavaScript are revealed here (the page works without them).
  if (nearMe) { nearMe.hidden = false; }
  if (originBox) { originBox.hidden = false; }

  // A message about the origin: shown where the person is looking (scrolled into view, clear of the map and the
  // bottom bar); a problem (location denied, no such place) in the alert style.
  function say(text, problem) {
    if (!statusEl) { return; }
    statusEl.textContent = text || "";
    statusEl.classList.toggle("origin-status--problem", !!(text && problem));
    if (text) { statusEl.scrollIntoView({ block: "nearest" }); }
  }
  var showNearest = false;

  // ---- Map -------------------------------------------------------------------------------------
  var map = null;
  var markers = {};
  var originMarker = null;
  var mapEl = document.getElementById("map");

  function markerIcon(p) {
    var label = (config.markerLabels || {})[p.kind] || "•";
    var span = document.createElement("span");
    var b = document.createElement("b");
    b.textContent = label;
    span.appendChild(b);
    return L.divIcon({
      className: "marker kind--" + p.group,
      html: span,
      iconSize: [32, 32],
      iconAnchor: [16, 40],
      popupAnchor: [0, -32]
    });
  }

  function popupFor(p) {
    var box = document.createElement("div");
    box.className = "map-popup";
    var name = document.createElement("span");
    name.className = "map-popup__name";
    name.textContent = p.name;
    var kind = document.createElement("span");
    kind.textContent = p.kind_name;
    var link = document.createElement("a");
    var from = fromInput && fromInput.value;
    link.href = p.url + (from ? "?from=" + encodeURIComponent(from) : "");
    link.textContent = t.details || "";
    box.appendChild(name);
    box.appendChild(kind);
    box.appendChild(document.createElement("br"));
    box.appendChild(link);
    return box;
  }

  function initMap() {
    if (!mapEl || typeof L === "undefined") { return; }
    map = L.map(mapEl, { zoomControl: true, attributionControl: true, zoomSnap: 0.25 });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
    }
    places.forEach(function (p) {
      var m = L.marker([p.lat, p.lng], { icon: markerIcon(p), title: p.name, alt: p.name, keyboard: true });
      m.bindPopup(function () { return popupFor(p); });
      m.on("click", function () { highlight(p.id, true); });
      markers[p.id] = m;
    });
    syncMarkers(true);
  }

  function visibleIds() {
    var ids = [];
    if (!results) { return ids; }
    results.querySelectorAll("[data-place-id]").forEach(function (li) {
      ids.push(Number(li.getAttribute("data-place-id")));
    });
    return ids;
  }

  function syncMarkers(fit) {
    if (!map) { return; }
    var ids = visibleIds();
    var keep = {};
    ids.forEach(function (id) { keep[id] = true; });
    var points = [];
    Object.keys(markers).forEach(function (id) {
      var m = markers[id];
      if (keep[id]) {
        if (!map.hasLayer(m)) { m.addTo(map); }
        points.push(m.getLatLng());
      } else if (map.hasLayer(m)) {
        map.removeLayer(m);
      }
    });
    var origin = currentOrigin();
    if (origin) {
      if (!originMarker) {
        var span = document.createElement("span");
        originMarker = L.marker(origin, {
          icon: L.divIcon({ className: "marker marker--origin", html: span, iconSize: [22, 22] }),
          title: t.you || "", alt: t.you || "", zIndexOffset: 1000, keyboard: false
        }).addTo(map);
      } else {
        originMarker.setLatLng(origin);
      }
      // From a place: the map shows it and the nearest few (the list's first ones), not the whole street.
      points = ids.slice(0, 4).filter(function (id) { return markers[id]; }).map(function (id) {
        return markers[id].getLatLng();
      });
      points.push(L.latLng(origin[0], origin[1]));
    } else if (originMarker) {
      map.removeLayer(originMarker);
      originMarker = null;
    }
    if (!fit) { return; }
    if (points.length === 0) {
      var c = config.center;
      if (!c && places.length) { c = [places[0].lat, places[0].lng]; }
      map.setView(c || [31.2304, 121.4737], 15);
    } else if (points.length === 1) {
      map.setView(points[0], 16);
    } else {
      map.fitBounds(L.latLngBounds(points), { paddingTopLeft: [48, 56], paddingBottomRight: [40, 24], maxZoom: 17 });
    }
  }

  function highlight(id, scroll) {
    if (!results) { return; }
    results.querySelectorAll(".place-item.is-active").forEach(function (li) { li.classList.remove("is-active"); });
    var li = results.querySelector('[data-place-id="' + id + '"]');
    if (li) {
      li.classList.add("is-active");
      if (scroll) { li.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
    }
  }

  // ---- Origin: near me, or a typed place ------------------------------------------------------
  function currentOrigin() {
    var v = fromInput && fromInput.value;
    if (!v) { return null; }
    var parts = v.split(",").map(Number);
    return parts.length === 2 && isFinite(parts[0]) && isFinite(parts[1]) ? parts : null;
  }

  function setOrigin(lat, lng, message) {
    fromInput.value = lat.toFixed(6) + "," + lng.toFixed(6);
    if (atInput) { atInput.value = ""; }
    showNearest = true;
    say(message);
    if (window.htmx) {
      window.htmx.trigger(form, "submit");
    } else {
      form.submit();
    }
  }

  function normalise(s) { return (s || "").replace(/\s+/g, "").toLowerCase(); }

  function matchPlace(text) {
    var q = normalise(text);
    if (!q) { return null; }
    var exact = null;
    var partial = null;
    places.forEach(function (p) {
      var n = normalise(p.name);
      var a = normalise(p.address);
      if (!exact && (n === q || a === q)) { exact = p; }
      if (!partial && (n.indexOf(q) >= 0 || a.indexOf(q) >= 0 || (q.length >= 4 && q.indexOf(n) >= 0))) { partial = p; }
    });
    return exact || partial;
  }

  function openOriginBox() {
    if (originBox) { originBox.open = true; }
    if (originInput) { originInput.focus(); }
  }

  // A typed place: one of the street's points by name, else the server's gazetteer (compounds, addresses, roads).
  function useTypedOrigin() {
    var text = (originInput.value || "").trim();
    if (!text) { say(t.noMatch, true); originInput.focus(); return; }
    var p = matchPlace(text);
    if (p && normalise(p.name) === normalise(text)) {
      setOrigin(p.lat, p.lng, (t.originSet || "").replace("%(name)s", p.name));
      return;
    }
    if (atInput && window.htmx) {
      atInput.value = text;
      fromInput.value = "";
      showNearest = true;
      say(t.finding);
      window.htmx.trigger(form, "submit");
    } else if (p) {
      setOrigin(p.lat, p.lng, (t.originSet || "").replace("%(name)s", p.name));
    } else {
      say(t.noMatch, true);
    }
  }

  if (nearMe) {
    nearMe.addEventListener("click", function () {
      if (!navigator.geolocation) {
        openOriginBox();
        say(t.geoUnsupported, true);
        return;
      }
      say(t.locating);
      nearMe.setAttribute("aria-busy", "true");
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          nearMe.removeAttribute("aria-busy");
          setOrigin(pos.coords.latitude, pos.coords.longitude, t.nearSet);
        },
        function () {
          nearMe.removeAttribute("aria-busy");
          openOriginBox();
          say(t.geoDenied, true);
        },
        { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
      );
    });
  }
  if (results) {
    results.addEventListener("click", function (e) {
      if (!e.target.closest || !e.target.closest("#origin-clear") || !window.htmx) { return; }
      e.preventDefault();
      fromInput.value = "";
      say("");
      window.htmx.trigger(form, "submit");
    });
  }
  if (originGo) { originGo.addEventListener("click", useTypedOrigin); }
  if (originInput) {
    originInput.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); useTypedOrigin(); }
    });
  }

  // ---- htmx: drop empty parameters from shareable URLs, resync markers after each swap ----------
  document.body.addEventListener("htmx:configRequest", function (e) {
    if (e.detail.elt !== form) { return; }
    ["need", "q", "from", "open", "at"].forEach(function (k) {
      if (!e.detail.parameters[k]) { delete e.detail.parameters[k]; }
    });
  });
  document.body.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target !== results) { return; }
    // A typed place the server found: it answers with the point and its name; an unknown one says so.
    var count = document.getElementById("results-count");
    var found = count && count.getAttribute("data-origin");
    if (atInput && atInput.value) {
      var label = count && count.getAttribute("data-origin-label");
      atInput.value = "";
      if (found) {
        fromInput.value = found;
        say((t.originSet || "").replace("%(name)s", label || ""));
      } else {
        showNearest = false;
        say(t.noMatch, true);
      }
    }
    syncMarkers(true);
    // "附近": the nearest ones on screen at once: the list scrolled to its top (under the map), the first one marked.
    if (showNearest) {
      showNearest = false;
      var first = results.querySelector("[data-place-id]");
      if (first) {
        highlight(Number(first.getAttribute("data-place-id")), false);
        results.scrollIntoView({ block: "start", behavior: "smooth" });
      }
    }
  });
  // The language and elder-mode switches come back to the page as it is now (with its filters).
  document.body.addEventListener("htmx:pushedIntoHistory", function () {
    document.querySelectorAll('.site-header input[name="next"]').forEach(function (input) {
      input.value = window.location.pathname + window.location.search;
    });
  });
  if (results) {
    results.addEventListener("mouseover", function (e) {
      var li = e.target.closest && e.target.closest("[data-place-id]");
      if (li && markers[li.getAttribute("data-place-id")]) {
        Object.keys(markers).forEach(function (id) {
          var el = markers[id].getElement();
          if (el) { el.classList.toggle("is-active", id === li.getAttribute("data-place-id")); }
        });
      }
    });
  }

  initMap();
})();
