// A survey page (voice/answer.html, voice/door.html): questions with a condition are shown only when the earlier
// answer equals / does not equal / includes the value; in elder mode (data-one-per-screen="1") one question per
// screen with big 上一题 / 下一题 buttons; 🎤 voice input where the browser has speech recognition; 📍 location.
// The server checks everything again; without this script every question is shown and hidden ones are ignored.
(function () {
  "use strict";
  var form = document.querySelector(".voice-form");
  if (!form) return;

  function valueOf(fs) {
    var kind = fs.getAttribute("data-kind");
    var inputs = fs.querySelectorAll("input, textarea, select");
    if (kind === "multiple") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (kind === "single" || kind === "rating") {
      var c = fs.querySelector("input:checked");
      return c ? c.value : null;
    }
    var first = inputs[0];
    return first && first.value !== "" ? first.value : null;
  }

  var questions = Array.prototype.slice.call(form.querySelectorAll(".voice-q"));
  var byId = {};
  questions.forEach(function (fs) { var id = fs.getAttribute("data-qid"); if (id) byId[id] = fs; });

  function shown(fs) {
    var target = fs.getAttribute("data-cond-q");
    if (!target) return true;
    var other = byId[target];
    if (!other || !shown(other)) return false;
    var v = valueOf(other);
    if (v === null || (Array.isArray(v) && !v.length)) return false;
    var op = fs.getAttribute("data-cond-op"), want = fs.getAttribute("data-cond-value");
    if (op === "includes") return Array.isArray(v) ? v.indexOf(want) >= 0 : String(v).indexOf(want) >= 0;
    var equal = Array.isArray(v) ? v.join(",") === want.replace(/[\[\]\s]/g, "") : String(v) === want;
    return op === "equals" ? equal : !equal;
  }

  var onePer = form.getAttribute("data-one-per-screen") === "1";
  var at = 0;
  var prev = document.getElementById("voice-prev"), next = document.getElementById("voice-next");
  var submit = document.getElementById("voice-submit"), progress = document.getElementById("voice-progress");

  function visible() { return questions.filter(shown); }

  function render() {
    var list = visible();
    questions.forEach(function (fs) {
      var on = list.indexOf(fs) >= 0;
      fs.hidden = !on || (onePer && list.indexOf(fs) !== at);
      fs.disabled = !on;
    });
    if (!onePer) return;
    if (at >= list.length) at = list.length - 1;
    prev.hidden = at === 0;
    next.hidden = at >= list.length - 1;
    submit.hidden = at < list.length - 1;
    if (progress) progress.textContent = (at + 1) + " / " + list.length;
  }

  if (onePer) {
    form.classList.add("voice-form--one");
    next.addEventListener("click", function () { at += 1; render(); var l = visible()[at]; if (l) l.querySelector("input, textarea, select") && l.querySelector("input, textarea, select").focus(); });
    prev.addEventListener("click", function () { at = Math.max(0, at - 1); render(); });
  }
  form.addEventListener("change", render);
  form.addEventListener("input", render);
  render();

  var Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  Array.prototype.forEach.call(document.querySelectorAll(".voice-mic"), function (btn) {
    if (!Recognition) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var target = document.getElementById(btn.getAttribute("data-for"));
      var rec = new Recognition();
      rec.lang = document.documentElement.lang === "en" ? "en-US" : "zh-CN";
      rec.onresult = function (e) { target.value = (target.value ? target.value + " " : "") + e.results[0][0].transcript; render(); };
      rec.start();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll(".voice-locate"), function (btn) {
    if (!navigator.geolocation) return;
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var box = btn.parentNode;
      navigator.geolocation.getCurrentPosition(function (p) {
        box.querySelector(".voice-lat").value = p.coords.latitude.toFixed(6);
        box.querySelector(".voice-lng").value = p.coords.longitude.toFixed(6);
      });
    });
  });
})();
