// Selects the whole value of a read-only field given focus, so a deposit URL is copied in
// one go. The Content-Security-Policy forbids inline event handlers (onfocus="…"): the
// fields carry a data-select-on-focus attribute instead.
"use strict";
document.querySelectorAll("[data-select-on-focus]").forEach(function (field) {
  field.addEventListener("focus", function () {
    field.select();
  });
});
