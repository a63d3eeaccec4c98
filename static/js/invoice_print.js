/* The printable invoice's Print button (a file of its own: the page has no inline script, see the CSP). */
document.addEventListener("click", function (evt) {
  "use strict";
  if (evt.target instanceof Element && evt.target.closest("[data-print]")) window.print();
});
