// The rider's tap page: post the gate token (and the phone's location when already permitted) to the tap API,
// then show the full-screen green pass or the red screen with the reason. A live clock shows the pass is live.
(function () {
  "use strict";
  var cfg = document.getElementById("tap-config");
  var root = document.getElementById("tap");
  if (!root) return;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // The guard compares the clock with the time at the gate: show Shanghai time whatever the phone's zone is.
  var shanghai = null;
  try {
    shanghai = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false
    });
  } catch (e) { shanghai = null; }
  function tick() {
    var clock = document.getElementById("tap-clock");
    if (!clock) return;
    var d = new Date();
    clock.textContent = shanghai ? shanghai.format(d)
      : pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  tick();
  setInterval(tick, 1000);

  if (!cfg || root.dataset.state !== "pending") return;

  function csrf() {
    var input = document.querySelector("#tap-form input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function show(answer) {
    var allow = answer.decision === "allow";
    root.dataset.state = answer.decision;
    document.body.classList.add(allow ? "tap-allow" : "tap-deny");
    document.getElementById("tap-pending").hidden = true;
    var result = document.getElementById("tap-result");
    result.dataset.decision = answer.decision;
    result.dataset.reason = answer.reason || "";
    document.getElementById("tap-mark").textContent = allow ? "\u2713" : "\u2715";
    document.getElementById("tap-headline").textContent = allow ? cfg.dataset.allow : cfg.dataset.deny;
    document.getElementById("tap-reason").textContent = answer.reason_text || "";
    var photo = document.getElementById("tap-photo");
    if (answer.rider && answer.rider.photo_url) { photo.src = answer.rider.photo_url; photo.hidden = false; }
    document.getElementById("tap-name").textContent = answer.rider ? answer.rider.name + " \u00b7 " + answer.rider.partner : "";
    document.getElementById("tap-gate").textContent = answer.gate ? answer.gate.compound + " \u00b7 " + answer.gate.name : "";
    var opened = document.getElementById("tap-opened");
    opened.dataset.opened = answer.opened ? "true" : "false";
    opened.textContent = allow ? (answer.opened ? cfg.dataset.opened : cfg.dataset.notOpened) : "";
    result.hidden = false;
  }

  function fail(text) {
    show({ decision: "deny", reason: "", reason_text: text, opened: false });
  }

  function send(position) {
    var body = { gate_token: cfg.dataset.token };
    if (position) { body.lat = position.coords.latitude; body.lng = position.coords.longitude; }
    fetch(cfg.dataset.api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().then(function (data) { return { status: resp.status, data: data }; });
    }).then(function (r) {
      if (r.status === 200) show(r.data);
      else if (r.status === 401) {  // signed out meanwhile: sign in and come back with the same token
        fail(cfg.dataset.login);
        window.location.assign("/login/?next=" + encodeURIComponent(window.location.pathname + window.location.search));
      }
      else fail(r.data.detail || r.data.title || cfg.dataset.error);
    }).catch(function () { fail(cfg.dataset.error); });
  }

  // Ask for the location only when the rider already allowed it (no prompt delays the gate).
  if (navigator.geolocation && navigator.permissions && navigator.permissions.query) {
    navigator.permissions.query({ name: "geolocation" }).then(function (status) {
      if (status.state !== "granted") { send(null); return; }
      var done = false;
      var timer = setTimeout(function () { if (!done) { done = true; send(null); } }, 1500);
      navigator.geolocation.getCurrentPosition(
        function (pos) { if (!done) { done = true; clearTimeout(timer); send(pos); } },
        function () { if (!done) { done = true; clearTimeout(timer); send(null); } },
        { maximumAge: 60000, timeout: 1500 }
      );
    }, function () { send(null); });
  } else {
    send(null);
  }
})();
