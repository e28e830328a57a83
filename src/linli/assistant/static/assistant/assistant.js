/* 问一问: the chat on its own page and in the service map's panel. The form asks POST /api/v1/assistant/ask and
 * the answer (text, cards with one-tap actions, a feedback form) is cloned from the page's <template>, so the
 * markup is the server's own; feedback goes to POST /api/v1/assistant/answers/<id>/feedback. Without JavaScript
 * the same forms post to the pages and the server renders the answer. Text is only ever set as text. */
(function () {
  "use strict";
  var root = document.getElementById("assistant");
  if (!root || !window.fetch) { return; }
  var msg = root.dataset;
  var form = document.getElementById("assistant-form");
  var input = document.getElementById("assistant-question");
  var log = document.getElementById("assistant-log");
  var errorEl = document.getElementById("assistant-error");
  var statusEl = document.getElementById("assistant-status");
  var template = document.getElementById("assistant-answer-template");
  var ZERO = "00000000-0000-0000-0000-000000000000";

  function csrf() {
    var el = form.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function fail(text) {
    errorEl.textContent = text || "";
    errorEl.hidden = !text;
  }
  function problemText(body) {
    if (!body) { return msg.msgNetwork; }
    if (body.errors && body.errors.length) {
      return body.errors.map(function (e) { return e.message || ""; }).join("；");
    }
    return body.detail || body.title || msg.msgNetwork;
  }
  function post(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(payload)
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (body) { return { ok: resp.ok, body: body }; });
    });
  }
  /* Where the resident is: on the map, the origin chosen there now (near me, a typed place); on the chat page, the
   * location it was opened with; else the page's own ?from= (a list sorted "near me"). */
  function pair(text) {
    var parts = String(text || "").split(",");
    if (parts.length !== 2 || !parts[0] || !parts[1] || !isFinite(parts[0]) || !isFinite(parts[1])) { return null; }
    return { lat: Number(parts[0]), lng: Number(parts[1]) };
  }
  function origin() {
    var mapFrom = document.getElementById("from-input");
    if (mapFrom && pair(mapFrom.value)) { return pair(mapFrom.value); }
    var lat = document.getElementById("assistant-lat").value;
    var lng = document.getElementById("assistant-lng").value;
    if (lat && lng) { return pair(lat + "," + lng); }
    return pair(new URLSearchParams(window.location.search).get("from"));
  }
  /* "附近…" with no location on the page: ask the browser once (a refusal or a timeout asks without). */
  var NEAR = /附近|最近的|离我|周边|就近|near ?me|nearby|nearest|closest|around here/i;
  function locate(question, done) {
    var where = origin();
    if (where || !NEAR.test(question) || !navigator.geolocation) { done(where); return; }
    var finished = false;
    var finish = function (value) { if (!finished) { finished = true; done(value); } };
    window.setTimeout(function () { finish(null); }, 9000);
    navigator.geolocation.getCurrentPosition(function (pos) {
      var here = { lat: pos.coords.latitude, lng: pos.coords.longitude };
      document.getElementById("assistant-lat").value = here.lat.toFixed(6);
      document.getElementById("assistant-lng").value = here.lng.toFixed(6);
      finish(here);
    }, function () { finish(null); }, { enableHighAccuracy: false, timeout: 8000, maximumAge: 300000 });
  }

  function bindFeedback(fb) {
    fb.addEventListener("submit", function (evt) {
      evt.preventDefault();
      var article = fb.closest(".assistant-msg");
      var helpful = evt.submitter ? evt.submitter.value === "1" : true;
      var comment = fb.querySelector("textarea[name=comment]");
      var buttons = fb.querySelectorAll("button");
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      post("/api/v1/assistant/answers/" + article.dataset.answerId + "/feedback", {
        helpful: helpful, comment: comment ? comment.value : ""
      }).then(function (r) {
        var done = fb.querySelector(".assistant-feedback__done");
        if (r.ok) {
          done.textContent = helpful ? msg.msgThanksYes : msg.msgThanksNo;
          done.hidden = false;
          fb.dataset.sent = helpful ? "helpful" : "unhelpful";
        } else {
          Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
          fail(problemText(r.body));
        }
      }).catch(function () {
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
        fail(msg.msgNetwork);
      });
    });
  }

  function setText(el, text) {
    el.textContent = "";
    String(text || "").split("\n").forEach(function (line, i) {
      if (i) { el.appendChild(document.createElement("br")); }
      el.appendChild(document.createTextNode(line));
    });
  }

  function cardItem(card) {
    var li = document.createElement("li");
    li.className = "assistant-card";
    li.dataset.cardType = card.type;
    li.dataset.cardId = String(card.id);
    var title = document.createElement("a");
    title.className = "assistant-card__title";
    title.href = card.url;
    title.textContent = card.title;
    var sub = document.createElement("p");
    sub.className = "assistant-card__subtitle";
    sub.textContent = card.subtitle || "";
    var actions = document.createElement("p");
    actions.className = "assistant-card__actions";
    (card.actions || []).forEach(function (a) {
      var link = document.createElement("a");
      link.className = "button assistant-action assistant-action--" + a.type;
      link.dataset.action = a.type;
      link.href = a.url;
      if (/^https?:/.test(a.url)) { link.rel = "noopener"; }
      link.textContent = a.label;
      actions.appendChild(link);
    });
    li.appendChild(title);
    li.appendChild(sub);
    li.appendChild(actions);
    return li;
  }

  function render(question, body) {
    var node = template.content.firstElementChild.cloneNode(true);
    node.id = "answer-" + body.answer_id;
    node.dataset.answerId = body.answer_id;
    node.dataset.intent = body.intent;
    node.dataset.backend = body.backend;
    node.querySelector(".assistant-msg__q-text").textContent = question;
    setText(node.querySelector(".assistant-msg__text"), body.answer);
    var list = node.querySelector(".assistant-cards");
    (body.cards || []).forEach(function (card) { list.appendChild(cardItem(card)); });
    var fb = node.querySelector(".assistant-feedback");
    fb.action = msg.feedbackUrl.replace(ZERO, body.answer_id);
    var comment = fb.querySelector("textarea");
    comment.id = "comment-" + body.answer_id;
    fb.querySelector("label").htmlFor = comment.id;
    bindFeedback(fb);
    log.appendChild(node);
    node.scrollIntoView({ block: "nearest" });
  }

  Array.prototype.forEach.call(log.querySelectorAll(".assistant-feedback"), bindFeedback);

  /* One question at a time: a question typed (or a suggestion tapped) while the last one loads waits its turn
   * instead of being dropped; each is answered in the order asked. */
  var queue = [];
  var busy = false;
  function next() {
    if (busy || !queue.length) { return; }
    busy = true;
    var question = queue.shift();
    statusEl.textContent = queue.length ? msg.msgThinking + " (+" + queue.length + ")" : msg.msgThinking;
    var settle = function () {
      busy = false;
      statusEl.textContent = queue.length ? msg.msgQueued : "";
      next();
    };
    locate(question, function (where) {
      var payload = { question: question, street: msg.street };
      if (where) { payload.lat = where.lat; payload.lng = where.lng; }
      post(msg.api, payload).then(function (r) {
        if (r.ok && r.body && r.body.answer_id) {
          render(question, r.body);
        } else {
          fail(problemText(r.body));
        }
        settle();
      }).catch(function () {
        fail(msg.msgNetwork);
        settle();
      });
    });
  }
  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    var suggestion = evt.submitter && evt.submitter.name === "suggestion" ? evt.submitter.value : "";
    var question = (suggestion || input.value).trim();
    fail("");
    if (!suggestion) { input.value = ""; }
    queue.push(question);
    if (busy) { statusEl.textContent = msg.msgQueued; }
    next();
  });

  /* On the service map: the 问一问 button opens the chat as a panel instead of leaving the map. */
  var opener = document.getElementById("assistant-open");
  var panel = document.getElementById("assistant-panel");
  var closer = document.getElementById("assistant-close");
  if (opener && panel) {
    var close = function () {
      panel.hidden = true;
      opener.setAttribute("aria-expanded", "false");
      opener.focus();
    };
    opener.addEventListener("click", function (evt) {
      evt.preventDefault();
      panel.hidden = false;
      opener.setAttribute("aria-expanded", "true");
      input.focus();
    });
    closer.addEventListener("click", close);
    panel.addEventListener("keydown", function (evt) { if (evt.key === "Escape") { close(); } });
    opener.dataset.ready = "1";  /* opens the panel from here on (before this, the link goes to the chat page) */
  }
}());
