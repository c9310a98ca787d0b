/* cxloop staff pages: copy buttons (data-copy="<id of the field to copy>"), a "Saved." note
   that goes once its form is changed again, and no page shown again from the back/forward
   cache. Everything else is plain HTML and htmx. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done);
    else if (document.execCommand("copy")) done();
  });
})();

(function () {
  "use strict";
  // A page restored by Back after sign-out would show data to whoever holds the browser:
  // ask the server again, which sends a signed-out visitor to sign in.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });
})();

(function () {
  "use strict";
  // "Saved." speaks of what was saved: once the form is changed again, it no longer holds.
  document.addEventListener("input", function (event) {
    var panel = event.target.closest && event.target.closest(".panel");
    if (!panel) return;
    panel.querySelectorAll("p.saved").forEach(function (note) { note.remove(); });
  });
})();
