/* A ticket on the phone: follows the centre's hall socket and reloads its status part when the queue moves. */
(function () {
  "use strict";
  var page = document.getElementById("ticket-page");
  if (!page) { return; }
  var delay = 1000;
  var pending = false;

  function refresh() {
    if (pending) { return; }
    pending = true;
    fetch(page.dataset.statusUrl, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
      pending = false;
      if (!html) { return; }
      var box = document.getElementById("ticket-status");
      var tmp = document.createElement("div");
      tmp.innerHTML = html;
      var fresh = tmp.querySelector("#ticket-status");
      if (box && fresh) {
        var called = fresh.dataset.status === "called" && box.dataset.status !== "called";
        box.replaceWith(fresh);
        if (called && navigator.vibrate) { navigator.vibrate([300, 100, 300]); }
      }
    }).catch(function () { pending = false; });
  }

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + page.dataset.ws);
    ws.onopen = function () { delay = 1000; document.body.dataset.live = "1"; };
    ws.onmessage = function (e) {
      var msg; try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "hall.call" || msg.type === "queue.changed") { refresh(); }
    };
    ws.onclose = function () { document.body.dataset.live = "0"; window.setTimeout(connect, delay); delay = Math.min(delay * 2, 30000); };
  }
  connect();
})();
