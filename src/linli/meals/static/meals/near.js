/* "按离我远近排序" on the meal points page: ask the browser for the position and reload with ?from=lat,lng.
   Without geolocation the form simply reloads the list. No inline script (CSP). */
(function () {
  "use strict";
  var form = document.getElementById("near-form");
  var button = document.getElementById("near-me");
  var field = document.getElementById("near-from");
  var status = document.getElementById("near-status");
  if (!form || !button || !field || !navigator.geolocation) return;
  form.addEventListener("submit", function (event) {
    if (field.value) return;
    event.preventDefault();
    status.textContent = button.getAttribute("data-locating");
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        field.value = pos.coords.latitude.toFixed(6) + "," + pos.coords.longitude.toFixed(6);
        form.submit();
      },
      function () {
        status.textContent = button.getAttribute("data-denied");
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 300000 }
    );
  });
})();
