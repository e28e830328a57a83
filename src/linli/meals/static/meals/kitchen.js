/* Kitchen pages: reveal the print button (the page prints fine from the browser menu without it). */
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (!button) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
