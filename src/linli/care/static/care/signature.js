/* The resident's signature on screen: drawn with a finger or a mouse, sent as a PNG data URL. */
(function () {
  "use strict";
  var canvas = document.getElementById("signature-pad");
  if (!canvas) { return; }
  var field = document.getElementById("signature");
  var ctx = canvas.getContext("2d");
  var drawing = false, drawn = false;
  ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111827";
  function at(ev) { var r = canvas.getBoundingClientRect(); return [(ev.clientX - r.left) * canvas.width / r.width, (ev.clientY - r.top) * canvas.height / r.height]; }
  canvas.addEventListener("pointerdown", function (ev) { drawing = true; var p = at(ev); ctx.beginPath(); ctx.moveTo(p[0], p[1]); canvas.setPointerCapture(ev.pointerId); });
  canvas.addEventListener("pointermove", function (ev) { if (!drawing) { return; } var p = at(ev); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true; });
  canvas.addEventListener("pointerup", function () { drawing = false; if (drawn) { field.value = canvas.toDataURL("image/png"); } });
  document.getElementById("signature-clear").addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); field.value = ""; drawn = false; });
})();
