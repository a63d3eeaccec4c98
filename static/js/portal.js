/* NOC Portal page glue: shows a toast when an htmx request fails, instead of failing silently. */
(function () {
  "use strict";
  function toast(message) {
    var box = document.getElementById("htmx-error");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "alert alert-danger shadow";
    el.setAttribute("role", "alert");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, 8000);
  }
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr ? evt.detail.xhr.status : "?";
    toast("The server refused the request (HTTP " + status + "). " + (status === 403 ? "Your role does not allow it." : "Try again."));
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The portal is unreachable. Live panels will retry on their own.");
  });
})();

/* Forms whose submit button says data-disable-on-submit: one click, one request (with a visible busy state). */
(function () {
  "use strict";
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!(form instanceof HTMLFormElement) || evt.defaultPrevented) return;
    form.querySelectorAll("button[data-disable-on-submit]").forEach(function (button) {
      // After the browser has read the form (a disabled button would not be submitted).
      setTimeout(function () {
        button.disabled = true;
        button.classList.add("btn-loading");
      }, 0);
    });
  });
})();

/* Controls marked data-submit-on-change submit their form when changed (the tenant switcher):
   an inline onchange handler would be inline script, which the Content-Security-Policy refuses. */
(function () {
  "use strict";
  document.addEventListener("change", function (evt) {
    var control = evt.target;
    if (!(control instanceof Element) || !control.matches("[data-submit-on-change]") || !control.form) return;
    control.form.requestSubmit ? control.form.requestSubmit() : control.form.submit();
  });
})();

/* Forms marked data-confirm="question" ask before they submit (an inline onsubmit would break the CSP).
   Capture phase: a declined form is stopped before any other submit handler sees it. */
(function () {
  "use strict";
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
    if (!window.confirm(form.dataset.confirm)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);
})();
