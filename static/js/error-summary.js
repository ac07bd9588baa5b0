// GOV.UK error summary: on a page that has one, focus moves to it so a screen reader reads the problems first.
(function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
})();
