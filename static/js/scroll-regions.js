// A wide table (or example) that scrolls sideways in its box must be reachable by keyboard (WCAG 2.1.1): once the
// page is laid out, and whenever its width changes, a box whose contents overflow it becomes a focusable region named
// after its table's caption or the heading before it; one that fits is left out of the tab order.
(function () {
  function nameOf(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var node = box.previousElementSibling;
    while (node && !/^H[1-6]$/.test(node.tagName)) node = node.previousElementSibling;
    return node ? node.textContent.trim() : "Table";
  }
  function mark() {
    var boxes = document.querySelectorAll(".table-scroll, pre");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.dataset.fixedRegion === undefined && box.hasAttribute("tabindex") && !box.dataset.scrollRegion) {
        box.dataset.fixedRegion = "";  // the template made it a region itself: leave it as it is
      }
      if (box.dataset.fixedRegion !== undefined) continue;
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (!box.hasAttribute("aria-label")) box.setAttribute("aria-label", nameOf(box) + " (scrolls sideways)");
        box.dataset.scrollRegion = "1";
      } else if (box.dataset.scrollRegion) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollRegion;
      }
    }
  }
  mark();
  window.addEventListener("resize", mark);
})();
