/*
 * The booking check, live: as the registration form is filled in, post it (as it stands) to the page's check
 * (data-booking-check-url on #booking-check, just above the buttons) and show every rule's answer there. Storing nothing, as the button
 * "Check it against the rules first" does without JavaScript. The server answers nothing until the form holds a whole
 * placement, and then the markup of placements/_booking_check.html.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 700;

  function start(form, slot) {
    var url = slot.getAttribute("data-booking-check-url");
    var status = document.getElementById("booking-check-status");
    var timer = null;
    var ticket = 0;

    function check() {
      var mine = ++ticket;
      var body = new FormData(form);
      body.delete("check");
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? response.text() : "";
        })
        .then(function (html) {
          // Only the answer to the latest state of the form counts.
          if (mine !== ticket) return;
          slot.innerHTML = html;
          // The answer of the button (no JavaScript) above the form is now out of date.
          var stale = document.getElementById("booking-check-answer");
          if (stale) stale.remove();
          // One short line for a screen reader, not the whole list again at every keystroke.
          var heading = slot.querySelector("h2");
          if (status && heading) status.textContent = "Booking check: " + heading.textContent;
        })
        .catch(function () {
          /* the button still checks; say nothing */
        });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(check, DEBOUNCE_MS);
    }

    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var slot = document.getElementById("booking-check");
    var form = slot && slot.closest("form");
    if (form && slot.getAttribute("data-booking-check-url")) start(form, slot);
  });
})();
