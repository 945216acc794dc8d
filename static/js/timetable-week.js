// Places the sessions of a timetable week from their data attributes. The Content-Security-
// Policy forbids inline style attributes; styles set through the DOM are allowed. Without
// JavaScript the sessions stay listed day by day, in time order.
"use strict";
document.querySelectorAll(".week[data-days]").forEach(function (week) {
  week.style.setProperty("--days", week.dataset.days);
  week.style.setProperty("--hours", week.dataset.hours);
  week.querySelectorAll("[data-top]").forEach(function (element) {
    ["top", "height", "left", "width"].forEach(function (side) {
      if (element.dataset[side] !== undefined) {
        element.style[side] = element.dataset[side] + "%";
      }
    });
  });
  week.classList.add("placed");
});
