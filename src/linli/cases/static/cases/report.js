/* The hazard report phone page ("随手拍"): location from the browser, a tap on the map or a compound / place chosen
 * from the list (or an address naming one, located by the server), photo previews, and a
 * submit to POST /api/v1/reports with an Idempotency-Key made here (a retry after a dropped connection never
 * reports twice). Without JavaScript the same form posts to the page itself. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var cfgEl = document.getElementById("map-config");
  var config = cfgEl ? JSON.parse(cfgEl.textContent) : {};
  var msg = form.dataset;
  var latInput = document.getElementById("lat");
  var lngInput = document.getElementById("lng");
  var spotSelect = document.getElementById("spot");
  var addressInput = document.getElementById("address");
  var coordsMore = document.getElementById("coords-more");
  var statusEl = document.getElementById("location-status");
  var errorEl = document.getElementById("report-error");
  var locateBtn = document.getElementById("locate");
  var mapEl = document.getElementById("report-map");
  var photosInput = document.getElementById("photos");
  var previews = document.getElementById("photo-previews");
  var submitBtn = document.getElementById("report-submit");
  var maxPhotos = Number(msg.maxPhotos || 4);
  var map = null;
  var marker = null;

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var idemKey = newKey();

  function say(text) { statusEl.textContent = text || ""; }
  function fail(text) {
    errorEl.textContent = text || "";
    errorEl.hidden = !text;
    if (text) { errorEl.scrollIntoView({ block: "center" }); }
  }

  function showPoint(lat, lng) {
    if (map) {
      if (!marker) { marker = L.marker([lat, lng], { keyboard: false }).addTo(map); } else { marker.setLatLng([lat, lng]); }
      map.setView([lat, lng], Math.max(map.getZoom(), 17));
    }
  }

  // ---- The spot in words (the same rules as linli.places.gazetteer): compound · road · nearest place ----------
  var outlines = config.outlines || { compounds: [], grids: [], roads: [] };
  var t = config.i18n || {};
  function flat(lat, lng, refLat) {
    return [lng * 111000 * Math.cos(refLat * Math.PI / 180), lat * 111000];
  }
  function segDist(p, a, b) {
    var dx = b[0] - a[0], dy = b[1] - a[1];
    var len = dx * dx + dy * dy;
    var k = len ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len)) : 0;
    var x = a[0] + k * dx - p[0], y = a[1] + k * dy - p[1];
    return Math.sqrt(x * x + y * y);
  }
  function inRing(lng, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function inGeometry(lng, lat, g) {
    if (!g) { return false; }
    if (g.type === "Polygon") { return inRing(lng, lat, g.coordinates[0]); }
    if (g.type === "MultiPolygon") { return g.coordinates.some(function (poly) { return inRing(lng, lat, poly[0]); }); }
    return false;
  }
  function spotWords(lat, lng) {
    var here = flat(lat, lng, lat);
    var parts = [];
    var compound = null;
    var best = 61;
    outlines.compounds.forEach(function (c) {
      if (compound === null && inGeometry(lng, lat, c.geometry)) { compound = c.name; best = 0; return; }
      var d = segDist(here, flat(c.lat, c.lng, lat), flat(c.lat, c.lng, lat));
      if (d < best) { best = d; compound = c.name; }
    });
    if (compound) { parts.push(compound); }
    var road = null;
    var roadBest = 401;
    outlines.roads.forEach(function (r) {
      for (var i = 0; i + 1 < r.line.length; i++) {
        var d = segDist(here, flat(r.line[i][0], r.line[i][1], lat), flat(r.line[i + 1][0], r.line[i + 1][1], lat));
        if (d < roadBest) { roadBest = d; road = r.name; }
      }
    });
    if (road) { parts.push(road); }
    var near = null;
    var nearBest = 1001;
    (config.places || []).forEach(function (p) {
      var q = flat(p[1], p[2], lat);
      var d = Math.sqrt(Math.pow(q[0] - here[0], 2) + Math.pow(q[1] - here[1], 2));
      if (d < nearBest) { nearBest = d; near = p[0]; }
    });
    if (near) {
      parts.push(nearBest < 15 ? near : (t.near || "").replace("%(name)s", near).replace("%(m)s", Math.round(nearBest)));
    }
    return parts.join(" · ");
  }

  // A point from the browser or the map: sent as coordinates, and it replaces a chosen spot.
  function setPoint(lat, lng, note) {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    if (spotSelect) { spotSelect.value = ""; }
    var words = spotWords(lat, lng);
    say(words ? note + "：" + words : note);
    showPoint(lat, lng);
  }

  // Without map tiles the street's own outlines give something to find the spot by: unit grids (dashed),
  // compounds (named) and roads (named lines through the addresses on them).
  function drawOutlines() {
    var names = L.layerGroup();
    if (!config.tileUrl) {
      outlines.grids.forEach(function (g) {
        L.geoJSON(g.geometry, { interactive: false, style: { color: "#6b7280", weight: 1, dashArray: "4 4", fill: false } }).addTo(map);
      });
      outlines.roads.forEach(function (r) {
        var line = L.polyline(r.line, { interactive: false, color: "#9ca3af", weight: 9, opacity: 0.55, lineCap: "round" }).addTo(map);
        line.bindTooltip(r.name, { permanent: true, direction: "center", className: "outline-label outline-label--road" });
        names.addLayer(line);
      });
    }
    outlines.compounds.forEach(function (c) {
      var shape = c.geometry && c.geometry.type !== "Point" ?
        L.geoJSON(c.geometry, { interactive: false, style: { color: "#b45309", weight: 2, fillColor: "#fde68a", fillOpacity: 0.35 } }) :
        L.circleMarker([c.lat, c.lng], { interactive: false, radius: 6, color: "#b45309", fillOpacity: 0.6 });
      shape.addTo(map);
      var label = L.marker([c.lat, c.lng], { interactive: false, keyboard: false, opacity: 0 });
      label.bindTooltip(c.name, { permanent: true, direction: "center", className: "outline-label" });
      names.addLayer(label);
    });
    // Names only when there is room for them.
    function toggleNames() {
      if (map.getZoom() >= 16) { names.addTo(map); } else { map.removeLayer(names); }
    }
    map.on("zoomend", toggleNames);
    toggleNames();
  }

  // Where one is: if the browser already may tell (no question asked), a blue dot shows it.
  function showWhereIAm() {
    if (!map || !navigator.permissions || !navigator.geolocation) { return; }
    navigator.permissions.query({ name: "geolocation" }).then(function (p) {
      if (p.state !== "granted") { return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        L.circleMarker([pos.coords.latitude, pos.coords.longitude], {
          radius: 9, color: "#fff", weight: 3, fillColor: "#1d4ed8", fillOpacity: 1, interactive: false
        }).addTo(map).bindTooltip(t.you || "", { permanent: false });
        if (!latInput.value) { map.setView([pos.coords.latitude, pos.coords.longitude], 17); }
      }, function () {}, { maximumAge: 60000, timeout: 10000 });
    }).catch(function () {});
  }

  // A compound or place from the list: the server locates it (the spot is sent, the coordinates are cleared).
  if (spotSelect) {
    spotSelect.addEventListener("change", function () {
      var opt = spotSelect.options[spotSelect.selectedIndex];
      if (!spotSelect.value || !opt) { return; }
      latInput.value = "";
      lngInput.value = "";
      say(msg.msgSpot);
      if (opt.dataset.lat && opt.dataset.lng) { showPoint(Number(opt.dataset.lat), Number(opt.dataset.lng)); }
    });
  }

  // JavaScript-only controls are revealed; typed coordinates stay as the fallback (hidden behind the map).
  if (coordsMore) { coordsMore.hidden = true; }
  if (typeof L !== "undefined" && mapEl) {
    mapEl.hidden = false;
    document.getElementById("locate-hint").hidden = false;
    map = L.map(mapEl, { zoomControl: true, attributionControl: true });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>'); // no flag: a neutral attribution
    if (config.tileUrl) { L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map); }
    map.setView(config.center || [31.23, 121.47], 16);
    drawOutlines();
    showWhereIAm();
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, msg.msgPicked); });
  } else if (coordsMore) {
    coordsMore.hidden = false;
  }
  if (navigator.geolocation && locateBtn) {
    locateBtn.hidden = false;
    locateBtn.addEventListener("click", function () {
      say(msg.msgLocating);
      navigator.geolocation.getCurrentPosition(function (pos) {
        setPoint(pos.coords.latitude, pos.coords.longitude, msg.msgLocated);
      }, function () { say(msg.msgGeoFailed); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }
  if (latInput.value && lngInput.value) {
    setPoint(Number(latInput.value), Number(lngInput.value), "");
  } else if (spotSelect && spotSelect.value) {
    var chosen = spotSelect.options[spotSelect.selectedIndex];
    if (chosen && chosen.dataset.lat) { showPoint(Number(chosen.dataset.lat), Number(chosen.dataset.lng)); }
  }

  // The big label opens the camera; the previews show what was taken (the bare input stays for no-JS use).
  photosInput.classList.add("visually-hidden");
  photosInput.addEventListener("change", function () {
    previews.textContent = "";
    var files = Array.prototype.slice.call(photosInput.files || []);
    if (files.length > maxPhotos) { fail(msg.msgTooMany); }
    files.slice(0, maxPhotos).forEach(function (file) {
      var img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(img.src); };
      previews.appendChild(img);
    });
  });

  function problemText(body) {
    if (!body) { return msg.msgNetwork; }
    var text = body.detail || body.title || "";
    if (body.errors && body.errors.length) {
      text += " " + body.errors.map(function (e) { return e.message || ""; }).join("；");
    }
    return text.trim() || msg.msgNetwork;
  }

  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    fail("");
    if (!form.querySelector("input[name=category]:checked")) { fail(msg.msgCategory); return; }
    var located = (latInput.value && lngInput.value) || (spotSelect && spotSelect.value) || addressInput.value.trim();
    if (!located) { fail(msg.msgLocation); return; }
    var data = new FormData(form);
    data.delete("photos");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    submitBtn.disabled = true;
    say(msg.msgSending);
    var files = Array.prototype.slice.call(photosInput.files || [], 0, maxPhotos);
    Promise.all(files.map(shrink)).then(function (ready) {
      ready.forEach(function (f) { data.append("photos", f); });
      return send(data, token);
    });
  });

  // A phone photo is often 12 megapixels (4-8 MB): the server keeps at most MAX_SIDE px on the long side, so scale
  // it down here first. The rider's upload is several times smaller on a mobile connection and the server decodes
  // a fraction of the pixels. The server still validates, strips metadata and re-encodes whatever arrives; any
  // failure here sends the original file.
  var MAX_SIDE = 2048;
  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.HTMLCanvasElement) { return Promise.resolve(file); }
    return new Promise(function (resolve) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onerror = function () { URL.revokeObjectURL(url); resolve(file); };
      img.onload = function () {
        URL.revokeObjectURL(url);
        var w = img.naturalWidth, h = img.naturalHeight, side = Math.max(w, h);
        if (!side || side <= MAX_SIDE) { resolve(file); return; }
        var k = MAX_SIDE / side;
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(w * k);
        canvas.height = Math.round(h * k);
        try {
          canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);  // EXIF orientation applied
          canvas.toBlob(function (blob) {
            if (!blob || blob.size >= file.size) { resolve(file); return; }
            resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
          }, "image/jpeg", 0.85);
        } catch (e) { resolve(file); }
      };
      img.src = url;
    });
  }

  function send(data, token) {
    return fetch(form.dataset.api, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Idempotency-Key": idemKey, "Accept": "application/json" }
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) { return { resp: resp, body: body }; });
    }).then(function (r) {
      if (r.resp.ok && r.body && r.body.report_id) {
        window.location.assign(form.dataset.done + r.body.report_id);
        return;
      }
      if (r.resp.status >= 400 && r.resp.status < 500) { idemKey = newKey(); }  // refused: a corrected form is a new request
      submitBtn.disabled = false;
      say("");
      fail(problemText(r.body));
    }).catch(function () {
      submitBtn.disabled = false;  // same key: the retry is safe
      say("");
      fail(msg.msgNetwork);
    });
  }
}());
