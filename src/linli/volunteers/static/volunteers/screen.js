// The station's screen: fetch the next rotating check-in code before the current one expires.
(function () {
  "use strict";
  var box = document.getElementById("vol-qr");
  if (!box) { return; }
  function next(seconds) {
    window.setTimeout(function () {
      fetch(box.dataset.refresh, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (code) {
          var doc = new DOMParser().parseFromString(code.svg, "image/svg+xml");
          box.replaceChildren(document.importNode(doc.documentElement, true));
          box.dataset.url = code.url;
          next(code.refresh_in);
        })
        .catch(function () { next(5); });
    }, Math.max(1, seconds) * 1000);
  }
  next(parseFloat(box.dataset.refreshIn || "30"));
})();
