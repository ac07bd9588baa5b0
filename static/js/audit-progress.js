/*
 * Follows an audit run while it is queued or running: polls its progress.json every 2 seconds and updates the
 * status, the progress bar and the counts in place; stops when the run has finished or failed.
 * Without JavaScript the page refreshes itself instead (a <noscript> meta refresh).
 */
(function () {
  "use strict";

  var INTERVAL_MS = 2000;

  function formatNumber(n) {
    return Number(n).toLocaleString("en-GB");
  }

  function formatTime(iso) {
    if (!iso) return "not yet";
    var d = new Date(iso);
    var day = d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
    var time = d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
    return day + " " + time; // as the page first showed it: "21 November 2025 22:02:08"
  }

  function update(root, data) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-audit-field]"), function (el) {
      var name = el.getAttribute("data-audit-field");
      var value = data[name];
      if (name === "error") {
        el.textContent = value || "";
        el.hidden = !value;
      } else if (el.hasAttribute("data-audit-time")) {
        el.textContent = formatTime(value);
      } else if (el.hasAttribute("data-audit-number")) {
        el.textContent = formatNumber(value);
      } else if (name === "status_display") {
        el.textContent = value;
        el.className = "status status-" + data.status;
      } else {
        el.textContent = value;
      }
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-audit-progress-bar]"), function (bar) {
      bar.value = data.progress;
      bar.textContent = data.progress + " %";
    });
    var note = root.querySelector("[data-audit-watching-note]");
    if (note) note.hidden = data.done;
  }

  function watch(root) {
    var url = root.getAttribute("data-audit-progress-url");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          update(root, data);
          if (!data.done) setTimeout(poll, INTERVAL_MS);
        })
        .catch(function () {
          setTimeout(poll, INTERVAL_MS * 2); // a blip (a restart, the network): try again, a little later
        });
    }
    setTimeout(poll, INTERVAL_MS);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-audit-run][data-audit-watching="true"]'), watch);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
