// The door-visit page (voice/door.html): each household's answers are saved on the tablet (localStorage) with
// their own id (a UUID made here), then sent when online; the server accepts each id once, so sending again
// after a lost answer never counts twice. Answers refused by the server (closed survey, a wrong value) are listed.
(function () {
  "use strict";
  var form = document.getElementById("door-form");
  if (!form) return;
  var KEY = "linli.voice.door." + form.getAttribute("data-survey");
  var SENT = KEY + ".sent";
  var api = form.getAttribute("data-api");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var net = document.getElementById("door-net");
  var sending = false;

  function load() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function save(queue) { localStorage.setItem(KEY, JSON.stringify(queue)); show(); }
  function sentCount() { return parseInt(localStorage.getItem(SENT) || "0", 10); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function show() {
    document.getElementById("door-pending").textContent = String(load().length);
    document.getElementById("door-sent").textContent = String(sentCount());
    var online = navigator.onLine;
    net.textContent = net.getAttribute(online ? "data-online" : "data-offline");
    net.className = online ? "voice-online" : "voice-offline";
  }

  function answerOf(fs) {
    var kind = fs.getAttribute("data-kind"), q = fs.getAttribute("data-qid");
    var pick = function (sel) { return Array.prototype.slice.call(fs.querySelectorAll(sel)); };
    if (kind === "single" || kind === "rating") {
      var c = fs.querySelector("input:checked");
      return c ? parseInt(c.value, 10) : null;
    }
    if (kind === "multiple") {
      var m = pick("input:checked").map(function (i) { return parseInt(i.value, 10); });
      return m.length ? m : null;
    }
    if (kind === "ranking") {
      var r = pick("input").map(function (i, n) { return [parseInt(i.value, 10), n]; })
        .filter(function (p) { return !isNaN(p[0]); }).sort(function (a, b) { return a[0] - b[0]; })
        .map(function (p) { return p[1]; });
      return r.length ? r : null;
    }
    if (kind === "number") { var n = fs.querySelector("input").value; return n === "" ? null : Number(n); }
    if (kind === "place") {
      var lat = fs.querySelector(".voice-lat").value, lng = fs.querySelector(".voice-lng").value;
      return lat && lng ? { lat: Number(lat), lng: Number(lng) } : null;
    }
    if (kind === "photo") return null; // photos are taken on the resident's own phone
    var t = fs.querySelector("input, textarea");
    return t && t.value.trim() ? t.value.trim() : null;
  }

  function collect() {
    var answers = {};
    Array.prototype.forEach.call(form.querySelectorAll(".voice-q[data-qid]"), function (fs) {
      if (fs.hidden || fs.disabled) return;
      var v = answerOf(fs);
      if (v !== null) answers[fs.getAttribute("data-qid")] = v;
    });
    return {
      client_id: uuid(), channel: "door", consent: document.getElementById("door-consent").checked,
      compound_id: parseInt(document.getElementById("door-compound").value, 10) || null,
      flat: document.getElementById("door-flat").value, answers: answers
    };
  }

  function refused(item, body) {
    var li = document.createElement("li");
    var why = (body && (body.errors && body.errors.length ? body.errors[0].message : body.detail || body.title)) || "";
    li.textContent = item.flat + " · " + form.getAttribute("data-refused") + "：" + why;
    document.getElementById("door-refused").appendChild(li);
  }

  function sync() {
    if (sending || !navigator.onLine) { show(); return; }
    var queue = load();
    if (!queue.length) { show(); return; }
    sending = true;
    var item = queue[0];
    fetch(api, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Idempotency-Key": item.client_id },
      body: JSON.stringify(item)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        sending = false;
        if (resp.status >= 500 || resp.status === 401 || resp.status === 403 && body.code === "csrf_failed") { show(); return; }
        var rest = load().filter(function (x) { return x.client_id !== item.client_id; });
        // A replay (the server had it already: the idempotency layer's stored answer, or the same client_id) is
        // not counted again.
        var replayed = body.duplicate || resp.headers.get("Idempotent-Replayed") === "true";
        if (resp.ok) { if (!replayed) localStorage.setItem(SENT, String(sentCount() + 1)); }
        else refused(item, body);
        save(rest);
        sync();
      });
    }).catch(function () { sending = false; show(); });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var queue = load();
    queue.push(collect());
    save(queue);
    form.reset();
    form.dispatchEvent(new Event("change"));
    document.getElementById("door-status").textContent = form.getAttribute("data-saved");
    sync();
  });
  document.getElementById("door-sync").addEventListener("click", sync);
  window.addEventListener("online", sync);
  window.addEventListener("offline", show);
  show();
  sync();
})();
