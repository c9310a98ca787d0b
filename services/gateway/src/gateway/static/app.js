/* cxloop staff pages: copy buttons (data-copy="<id of the field to copy>"). Everything else
   is plain HTML and htmx. */
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
