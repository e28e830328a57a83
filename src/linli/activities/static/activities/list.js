/* Activity list: keep "today / this week / this month" and the month picker consistent, and "near me"
 * (browser geolocation) which sorts the list by the venue's distance (?from=lat,lng), as on the map page. */
(function () {
  "use strict";
  var form = document.getElementById("activity-filters");
  if (!form) { return; }
  var month = document.getElementById("month");
  var whenMonth = document.getElementById("when-month");
  var fromInput = document.getElementById("from-input");
  var nearMe = document.getElementById("near-me");
  var statusEl = document.getElementById("origin-status");
  var t = document.getElementById("list-i18n");

  function submit() {
    if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
  }

  if (month && whenMonth) {
    month.addEventListener("change", function () { if (month.value) { whenMonth.checked = true; } });
    form.querySelectorAll("input[name=when]").forEach(function (radio) {
      radio.addEventListener("change", function () { if (radio.value !== "month") { month.value = ""; } });
    });
  }

  if (nearMe && navigator.geolocation) {
    nearMe.hidden = false;
    nearMe.addEventListener("click", function () {
      if (statusEl && t) { statusEl.textContent = t.dataset.locating; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        fromInput.value = pos.coords.latitude.toFixed(6) + "," + pos.coords.longitude.toFixed(6);
        if (statusEl) { statusEl.textContent = ""; }
        submit();
      }, function () {
        if (statusEl && t) { statusEl.textContent = t.dataset.denied; }
      }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
    });
  }
})();
