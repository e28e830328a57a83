/* Detail page: a small map with the service point (and the resident's origin when known). */
(function () {
  "use strict";
  var el = document.getElementById("place-map");
  var cfgEl = document.getElementById("map-config");
  if (!el || !cfgEl || typeof L === "undefined") { return; }
  var config = JSON.parse(cfgEl.textContent);
  var p = config.place;
  var map = L.map(el, { scrollWheelZoom: false, dragging: !L.Browser.mobile });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>'); // no flag: a neutral attribution
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
  }
  var label = document.createElement("span");
  var b = document.createElement("b");
  b.textContent = p.label;
  label.appendChild(b);
  var marker = L.marker([p.lat, p.lng], {
    icon: L.divIcon({ className: "marker kind--" + p.group, html: label, iconSize: [32, 32], iconAnchor: [16, 40] }),
    title: p.name, alt: p.name
  }).addTo(map);
  var points = [marker.getLatLng()];
  if (config.origin) {
    var you = document.createElement("span");
    L.marker(config.origin, {
      icon: L.divIcon({ className: "marker marker--origin", html: you, iconSize: [22, 22] }),
      title: config.i18n.you, alt: config.i18n.you
    }).addTo(map);
    points.push(L.latLng(config.origin[0], config.origin[1]));
  }
  if (points.length > 1) {
    map.fitBounds(L.latLngBounds(points), { padding: [30, 30], maxZoom: 17 });
  } else {
    map.setView(points[0], 16);
  }
})();
