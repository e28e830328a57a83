/* The kiosk: a camera QR scanner (BarcodeDetector, where the browser has it) fills the check-in form with what the
 * appointment's QR carries; the typed code works everywhere. On the ticket page: print, then back after 30 s. */
(function () {
  "use strict";
  var ticket = document.getElementById("kiosk-ticket");
  if (ticket) {
    var printBtn = document.getElementById("print-ticket");
    if (printBtn) { printBtn.addEventListener("click", function () { window.print(); }); }
    window.setTimeout(function () { window.location.href = ticket.dataset.back; }, 30000);
    return;
  }
  var form = document.getElementById("checkin-form");
  if (!form) { return; }
  var payload = document.getElementById("checkin-payload");
  var codeInput = document.getElementById("checkin-code");
  var scanner = document.getElementById("scanner");
  var startBtn = document.getElementById("scan-start");
  var stopBtn = document.getElementById("scan-stop");
  var video = document.getElementById("scan-video");
  var statusEl = document.getElementById("scan-status");
  var t = document.getElementById("kiosk-i18n").dataset;
  var stream = null;
  var detector = null;
  codeInput.addEventListener("input", function () { payload.value = ""; });
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  scanner.hidden = false;
  function stop() {
    if (stream) { stream.getTracks().forEach(function (tr) { tr.stop(); }); }
    stream = null; video.hidden = true; stopBtn.hidden = true; startBtn.hidden = false; statusEl.textContent = "";
  }
  function tick() {
    if (!stream) { return; }
    if (video.readyState < 2) { window.setTimeout(tick, 200); return; }
    detector.detect(video).then(function (codes) {
      if (codes.length && codes[0].rawValue) {
        payload.value = codes[0].rawValue;
        stop();
        if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
        return;
      }
      window.setTimeout(tick, 250);
    }).catch(function () { window.setTimeout(tick, 500); });
  }
  startBtn.addEventListener("click", function () {
    try { detector = detector || new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { statusEl.textContent = t.noCamera; return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; stopBtn.hidden = false; startBtn.hidden = true;
      statusEl.textContent = t.scanning; video.play(); tick();
    }).catch(function () { statusEl.textContent = t.noCamera; });
  });
  stopBtn.addEventListener("click", stop);
})();
