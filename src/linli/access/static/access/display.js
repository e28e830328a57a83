// The gate's display screen: fetch the current QR code before the shown one's window ends, and show the gate's
// online state. On a failed fetch, retry every few seconds and say so.
(function () {
  "use strict";
  var root = document.getElementById("display");
  if (!root) return;
  var qr = document.getElementById("qr");
  var state = document.getElementById("gate-state");

  function schedule(seconds) {
    setTimeout(refresh, Math.max(1000, Math.min(seconds, 30) * 1000));
  }

  function refresh() {
    fetch(root.dataset.endpoint, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (resp) { if (!resp.ok) throw new Error(resp.status); return resp.json(); })
      .then(function (data) {
        var doc = new DOMParser().parseFromString(data.svg, "image/svg+xml");
        qr.replaceChildren(document.importNode(doc.documentElement, true));
        qr.dataset.url = data.url;
        qr.dataset.expiresAt = data.expires_at;
        state.dataset.online = data.online ? "true" : "false";
        state.textContent = data.online ? state.dataset.on : state.dataset.off;
        schedule(data.refresh_in + 0.2);
      })
      .catch(function () {
        state.textContent = state.dataset.stale;
        schedule(3);
      });
  }

  schedule(parseFloat(root.dataset.refreshIn || "5") + 0.2);
})();
