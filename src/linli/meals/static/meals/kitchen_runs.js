/* Delivery runs page: one Leaflet map with the kitchen and each run's stops in order, a line per run. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("runs-config");
  var mapEl = document.getElementById("runs-map");
  if (!cfgEl || !mapEl || typeof L === "undefined") { return; }
  var config = JSON.parse(cfgEl.textContent);
  var colours = ["#c2410c", "#1d4ed8", "#15803d", "#7e22ce", "#a16207", "#0e7490", "#b91c1c"];

  function icon(text, extra) {
    var span = document.createElement("span");
    var b = document.createElement("b");
    b.textContent = text;
    span.appendChild(b);
    return L.divIcon({ className: "run-marker " + (extra || ""), html: span, iconSize: [28, 28], iconAnchor: [14, 14] });
  }

  var map = L.map(mapEl, { zoomControl: true, attributionControl: true });
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>'); // no flag: a neutral attribution
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: config.attribution || "" }).addTo(map);
  }
  var k = config.kitchen;
  var bounds = [[k.lat, k.lng]];
  L.marker([k.lat, k.lng], { icon: icon("厨", "run-marker--kitchen"), title: k.name, alt: k.name }).addTo(map);
  (config.runs || []).forEach(function (run, i) {
    var colour = colours[i % colours.length];
    var line = [[k.lat, k.lng]];
    run.stops.forEach(function (s) {
      var m = L.marker([s[0], s[1]], { icon: icon(String(s[2])), title: run.name + " · " + s[3], alt: s[3] });
      m.bindTooltip(run.name + " · " + s[2] + ". " + s[3]);
      m.addTo(map);
      line.push([s[0], s[1]]);
      bounds.push([s[0], s[1]]);
    });
    L.polyline(line, { color: colour, weight: 4, opacity: 0.8 }).addTo(map);
  });
  if (bounds.length > 1) { map.fitBounds(bounds, { padding: [24, 24] }); } else { map.setView(bounds[0], 16); }
})();
