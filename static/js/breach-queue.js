// The breach queue's bulk actions: tick every case on the page at once, and say how many are ticked.
// Without this script the checkboxes and the action form work as they are.
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  if (!form) return;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('input[type="checkbox"][form="bulk"]'));
  var all = document.querySelector("[data-check-all]");
  var count = form.querySelector("[data-bulk-count]");
  var status = form.querySelector("[data-reason-for]");
  var reason = document.getElementById("bulk-reason");

  function update() {
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    count.textContent = ticked ? "With the " + ticked + " ticked case" + (ticked === 1 ? "" : "s") + ":" : "Tick cases below, then:";
    if (all) {
      all.checked = ticked === boxes.length && ticked > 0;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }

  if (all) {
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  if (status && reason) {
    status.addEventListener("change", function () {
      reason.required = status.value === status.getAttribute("data-reason-for");
    });
  }
  form.addEventListener("submit", function (event) {
    if (!boxes.some(function (box) { return box.checked; })) {
      event.preventDefault();
      count.textContent = "Tick at least one case first:";
    }
  });
  update();
})();
