/*
 * The booking check, live: as the registration form is filled in, post it (as it stands) to the page's check
 * (data-booking-check-url on #booking-check) and show every rule's answer there. Storing nothing, as the button
 * "Check it against the rules first" does without JavaScript. The server answers nothing until the form holds a whole
 * placement, and then the markup of placements/_booking_check.html.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 700;

  function start(form, slot) {
    var url = slot.getAttribute("data-booking-check-url");
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
