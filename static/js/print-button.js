// A "Print" button on the printable agreement: the browser's print dialog (which can also save a PDF).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
