/* The window clerk's page: the waiting list (and remote requests) refresh every few seconds without a reload. */
(function () {
  "use strict";
  var page = document.getElementById("window-page");
  if (!page) { return; }
  function refresh() {
    if (document.hidden) { return; }
    fetch(page.dataset.queueUrl, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
      if (!html) { return; }
      var box = document.getElementById("window-queue");
      var tmp = document.createElement("div");
      tmp.innerHTML = html;
      var fresh = tmp.querySelector("#window-queue");
      if (box && fresh && box.innerHTML !== fresh.innerHTML) { box.replaceWith(fresh); }
    }).catch(function () {});
  }
  window.setInterval(refresh, 4000);
})();
