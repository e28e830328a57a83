/* The hall screen: numbers called to windows arrive over the centre's WebSocket (ws/affairs/hall/<place>/),
 * are shown large and, once a member of staff has pressed "开启语音播报" (browsers speak only after a gesture),
 * said aloud in Mandarin with the browser's own speech synthesis. Reconnects with back-off. */
(function () {
  "use strict";
  var main = document.getElementById("main");
  var t = document.getElementById("hall-i18n").dataset;
  var nowBox = document.getElementById("hall-now");
  var list = document.getElementById("hall-list");
  var waitingEl = document.getElementById("hall-waiting");
  var liveEl = document.getElementById("hall-live");
  var voiceBtn = document.getElementById("voice-on");
  var voice = false;
  var delay = 1000;
  var DIGITS = "零一二三四五六七八九";
  window.linliHall = { calls: [], spoken: [] };

  function spell(number) {
    // "A012" -> "A零一二": digits one by one, as halls announce them.
    if (t.lang.indexOf("zh") !== 0) { return number.split("").join(" "); }
    return number.replace(/[0-9]/g, function (d) { return DIGITS.charAt(Number(d)); });
  }

  function say(call) {
    var text = t.say.replace("{number}", spell(call.number)).replace("{counter}", String(call.counter));
    window.linliHall.spoken.push(text);
    if (!voice || !("speechSynthesis" in window)) { return; }
    var voices = window.speechSynthesis.getVoices().filter(function (v) { return v.lang && v.lang.replace("_", "-").indexOf(t.lang) === 0; });
    for (var i = 0; i < 2; i++) { // twice, as halls do
      var u = new SpeechSynthesisUtterance(text);
      u.lang = t.lang;
      u.rate = 0.9;
      if (voices.length) { u.voice = voices[0]; }
      window.speechSynthesis.speak(u);
    }
  }

  function cell(text) { var td = document.createElement("td"); td.textContent = text; return td; }

  function show(call) {
    var prev = document.getElementById("now-number");
    var prevCounter = document.getElementById("now-counter");
    if (prev && prevCounter && prev.textContent !== call.number) {
      var tr = document.createElement("tr");
      tr.appendChild(cell(prev.textContent));
      tr.appendChild(cell(prevCounter.textContent));
      list.insertBefore(tr, list.firstChild);
      while (list.children.length > 7) { list.removeChild(list.lastChild); }
    }
    nowBox.textContent = "";
    var n = document.createElement("span"); n.className = "hall__number"; n.id = "now-number"; n.textContent = call.number;
    var to = document.createElement("span"); to.className = "hall__to"; to.textContent = t.to;
    var c = document.createElement("span"); c.className = "hall__counter"; c.id = "now-counter"; c.textContent = call.counter_name;
    nowBox.appendChild(n); nowBox.appendChild(to); nowBox.appendChild(c);
    nowBox.classList.remove("hall__now--flash");
    void nowBox.offsetWidth;
    nowBox.classList.add("hall__now--flash");
    window.linliHall.calls.push(call);
    say(call);
  }

  voiceBtn.addEventListener("click", function () {
    voice = true;
    voiceBtn.setAttribute("aria-pressed", "true");
    voiceBtn.textContent = t.voiceOn;
    if ("speechSynthesis" in window) {
      var u = new SpeechSynthesisUtterance(t.voiceOn);
      u.lang = t.lang;
      window.speechSynthesis.speak(u);
    }
  });

  function connect() {
    var proto = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + location.host + main.dataset.ws);
    ws.onopen = function () { delay = 1000; };
    ws.onmessage = function (e) {
      var msg; try { msg = JSON.parse(e.data); } catch (err) { return; }
      if (msg.type === "hello") { liveEl.textContent = t.live; liveEl.dataset.live = "1"; document.body.dataset.live = "1"; }
      else if (msg.type === "hall.call") { show(msg); }
      else if (msg.type === "queue.changed" && typeof msg.waiting === "number") { waitingEl.textContent = String(msg.waiting); }
    };
    ws.onclose = function () {
      liveEl.textContent = t.offline; liveEl.dataset.live = "0"; document.body.dataset.live = "0";
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
    window.setInterval(function () { if (ws.readyState === 1) { ws.send('{"type":"ping"}'); } }, 30000);
  }
  connect();
})();
