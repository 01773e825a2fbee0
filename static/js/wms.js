/* WMS portal: the little behaviour htmx attributes cannot express. A file, not inline code, so
   the Content-Security-Policy (script-src 'self') holds; htmx runs with allowEval off. */
"use strict";

/* A form inside [data-swap-refusals] that is refused (400) swaps its answer in like a success:
   the answer is the same part of the page with the error messages. htmx drops 4xx answers
   otherwise. */
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 400 && event.target.closest("[data-swap-refusals]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

/* A form with data-confirm asks before it is sent (withdraw a request, cancel a case, skip a
   step, publish, deactivate a webhook): the destructive actions get a second thought. In the
   capture phase on the document, so it runs before htmx sees the submit on the form. */
document.addEventListener(
  "submit",
  function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true
);

/* The header's "More" menu (a <details>) closes on a click elsewhere and on Escape, as menus do. */
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.menu[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) {
      menu.removeAttribute("open");
    }
  });
});
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape") {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
    });
  }
});
