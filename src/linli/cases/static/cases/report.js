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

  // A point from the browser or the map: sent as coordinates, and it replaces a chosen spot.
  function setPoint(lat, lng, note) {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    if (spotSelect) { spotSelect.value = ""; }
    say(note);
    showPoint(lat, lng);
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
    if (config.tileUrl) { L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map); }
    map.setView(config.center || [31.23, 121.47], 16);
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
