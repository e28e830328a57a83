/* The menu page's basket: quantities live in the form (so the page works without JavaScript) and are kept in
   sessionStorage per place, day, slot and menu; "加入" adds without reloading and the bill (list price, each
   discount, what is paid, wallet balance) is fetched from the server, which computes it. No inline script (CSP). */
(function () {
  "use strict";

  var form = document.getElementById("menu-form");
  if (!form) return;
  document.documentElement.classList.add("js");
  var key = form.getAttribute("data-basket-key");
  var MAX = 20;

  function inputs() {
    return Array.prototype.slice.call(form.querySelectorAll("input.qty__input"));
  }

  function inputFor(item, half) {
    return form.querySelector('input.qty__input[data-item="' + item + '"][data-half="' + half + '"]');
  }

  function read() {
    try {
      return JSON.parse(window.sessionStorage.getItem(key) || "{}") || {};
    } catch (e) {
      return {};
    }
  }

  function save() {
    var state = {};
    inputs().forEach(function (input) {
      var n = parseInt(input.value, 10) || 0;
      if (n > 0) state[input.getAttribute("data-item") + ":" + input.getAttribute("data-half")] = n;
    });
    try {
      if (Object.keys(state).length) window.sessionStorage.setItem(key, JSON.stringify(state));
      else window.sessionStorage.removeItem(key);
    } catch (e) { /* private mode: the form still holds the basket */ }
  }

  function label(input) {
    var holder = input.closest(".dish__order");
    var half = input.getAttribute("data-half");
    var item = input.getAttribute("data-item");
    var id = "in-basket-" + item + "-" + half;
    var span = document.getElementById(id);
    var n = parseInt(input.value, 10) || 0;
    if (!span) {
      span = document.createElement("span");
      span.id = id;
      span.className = "in-basket";
      var text = document.createElement("span");
      text.className = "in-basket__text";
      var minus = document.createElement("button");
      minus.type = "button";
      minus.className = "button remove-button";
      minus.setAttribute("data-item", item);
      minus.setAttribute("data-half", half);
      minus.setAttribute("aria-label", half === "1" ? "减一个半份" : "减一份");
      minus.textContent = "−";
      span.appendChild(text);
      span.appendChild(minus);
      var add = form.querySelector('.add-button[data-item="' + item + '"][data-half="' + half + '"]');
      holder.insertBefore(span, add ? add.nextSibling : null);
    }
    span.hidden = n === 0;
    span.querySelector(".in-basket__text").textContent = (half === "1" ? "半份 × " : "已加 × ") + n;
  }

  function refreshLabels() {
    inputs().forEach(label);
  }

  var pending = null;
  function refreshBill() {
    if (pending) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    var data = new FormData(form);
    data.set("action", "quote");
    fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "HX-Request": "true" },
      signal: pending ? pending.signal : undefined
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      if (!html) return;
      var bill = document.getElementById("bill");
      if (bill) bill.outerHTML = html;
    }).catch(function () { /* offline: the "更新账单" form post still works */ });
  }

  function change(item, half, delta) {
    var input = inputFor(item, half);
    if (!input) return;
    var n = Math.max(0, Math.min(MAX, (parseInt(input.value, 10) || 0) + delta));
    input.value = String(n);
    save();
    label(input);
    refreshBill();
  }

  // Back from signing in again after the session expired mid-order (?resume=1): the basket that was sent.
  if (form.getAttribute("data-resume") === "1") {
    try {
      var sent = window.sessionStorage.getItem(key + ":sent");
      if (sent && !window.sessionStorage.getItem(key)) window.sessionStorage.setItem(key, sent);
    } catch (e) { /* private mode */ }
  }
  // Restore the basket kept in this tab (a fresh GET); after a POST the server's quantities win.
  if (form.getAttribute("data-restore") === "1") {
    var state = read();
    var restored = false;
    Object.keys(state).forEach(function (k) {
      var parts = k.split(":");
      var input = inputFor(parts[0], parts[1]);
      if (input) {
        input.value = String(Math.min(MAX, parseInt(state[k], 10) || 0));
        restored = true;
      }
    });
    if (restored) refreshBill();
  } else {
    save();
  }
  refreshLabels();

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button || !form.contains(button)) return;
    if (button.classList.contains("add-button")) {
      event.preventDefault();
      change(button.getAttribute("data-item"), button.getAttribute("data-half"), 1);
    } else if (button.classList.contains("remove-button")) {
      event.preventDefault();
      change(button.getAttribute("data-item"), button.getAttribute("data-half"), -1);
    }
  });

  form.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("qty__input")) {
      save();
      label(event.target);
      refreshBill();
    }
  });

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "order") {
      try {
        // Kept aside (not restored on a normal visit) in case the order comes back through the sign-in page.
        var current = window.sessionStorage.getItem(key);
        if (current) window.sessionStorage.setItem(key + ":sent", current);
        window.sessionStorage.removeItem(key);
      } catch (e) { /* ignore */ }
    }
  });
})();
