/* Check-in page: a camera QR scanner (BarcodeDetector on a getUserMedia <video>, where the browser has them)
 * feeding the same form as the typed short code. The form posts with htmx (or plainly without JavaScript). */
(function () {
  "use strict";
  var form = document.getElementById("checkin-form");
  if (!form) { return; }
  var codeInput = form.querySelector("input[name=code]");
  var payloadInput = form.querySelector("input[name=payload]");
  var scanner = document.getElementById("scanner");
  var startBtn = document.getElementById("scan-start");
  var stopBtn = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  var statusEl = document.getElementById("scan-status");
  var t = document.getElementById("checkin-i18n");
  var stream = null;
  var detector = null;
  var lastPayload = "";
  var lastAt = 0;

  function submit() {
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
  }

  // A typed code replaces any scanned payload.
  if (codeInput) {
    codeInput.addEventListener("input", function () { payloadInput.value = ""; });
  }

  // After each answer: empty the fields and put the cursor back for the next person.
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.elt !== form) { return; }
    payloadInput.value = "";
    if (codeInput) { codeInput.value = ""; if (!stream) { codeInput.focus(); } }
  });

  var supported = "BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  if (!supported || !scanner) { return; }
  scanner.hidden = false;

  function say(text) { if (statusEl) { statusEl.textContent = text || ""; } }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    stopBtn.hidden = true;
    startBtn.hidden = false;
    say("");
  }

  function tick() {
    if (!stream) { return; }
    if (video.readyState < 2) { window.setTimeout(tick, 200); return; }
    detector.detect(video).then(function (codes) {
      var now = Date.now();
      if (codes.length) {
        var value = codes[0].rawValue || "";
        if (value && (value !== lastPayload || now - lastAt > 4000)) {
          lastPayload = value;
          lastAt = now;
          payloadInput.value = value;
          if (codeInput) { codeInput.value = ""; }
          if (navigator.vibrate) { navigator.vibrate(80); }
          submit();
        }
      }
      window.setTimeout(tick, 250);
    }).catch(function () { window.setTimeout(tick, 500); });
  }

  startBtn.addEventListener("click", function () {
    try {
      detector = detector || new window.BarcodeDetector({ formats: ["qr_code"] });
    } catch (e) {
      say(t ? t.dataset.noCamera : "");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      stopBtn.hidden = false;
      startBtn.hidden = true;
      say(t ? t.dataset.scanning : "");
      return video.play();
    }).then(tick).catch(function () {
      stop();
      say(t ? t.dataset.noCamera : "");
    });
  });
  stopBtn.addEventListener("click", stop);
  window.addEventListener("pagehide", stop);
})();
