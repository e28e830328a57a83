// After signing in again (linli.core.resume): fill the page's form with what was chosen before the session expired.
// The form whose fields match the kept names best gets them; hidden and file fields keep the page's own values.
// Nothing is sent: the person checks and taps the button again.
(function () {
  "use strict";
  var el = document.getElementById("linli-resume");
  if (!el) return;
  var kept;
  try { kept = JSON.parse(el.textContent) || {}; } catch (e) { return; }
  var values = {};
  (kept.fields || []).forEach(function (pair) {
    (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
  });
  var names = Object.keys(values);
  if (!names.length) return;

  function fillable(field) {
    return field.name && values[field.name] && field.type !== "hidden" && field.type !== "file" &&
      field.type !== "submit" && field.type !== "button";
  }
  var best = null;
  var bestCount = 0;
  document.querySelectorAll("main form").forEach(function (form) {
    var count = Array.prototype.filter.call(form.elements, fillable).length;
    if (count > bestCount) { best = form; bestCount = count; }
  });
  if (!best) return;
  var used = {};
  Array.prototype.forEach.call(best.elements, function (field) {
    if (!fillable(field)) return;
    var list = values[field.name];
    if (field.type === "checkbox" || field.type === "radio") {
      field.checked = list.indexOf(field.value) >= 0;
    } else if (field.tagName === "SELECT" && field.multiple) {
      Array.prototype.forEach.call(field.options, function (o) { o.selected = list.indexOf(o.value) >= 0; });
    } else {
      var i = used[field.name] || 0;
      if (i < list.length) { field.value = list[i]; }
      used[field.name] = i + 1;
    }
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
  });
  var notice = document.getElementById("resume-notice");
  if (notice) { best.insertBefore(notice, best.firstChild); }
})();
