// Sign-in page: count down the "get a new code" button until the server allows another code.
(function () {
  "use strict";
  document.querySelectorAll("[data-resend-after]").forEach(function (button) {
    var left = parseInt(button.getAttribute("data-resend-after"), 10) || 0;
    if (left <= 0) return;
    var label = button.textContent;
    button.disabled = true;
    var tick = function () {
      if (left <= 0) {
        button.disabled = false;
        button.textContent = label;
        return;
      }
      button.textContent = label + " (" + left + "s)";
      left -= 1;
      window.setTimeout(tick, 1000);
    };
    tick();
  });
  var code = document.querySelector("input[autocomplete='one-time-code']");
  if (code) code.focus();
})();
