/* cxloop survey page: when embedded by /embed.js, tell the embedding page how tall the survey
   is, so its iframe fits without a scroll bar. Only the origin the server accepted for this
   survey (data-parent-origin) is told; the browser shows the page framed nowhere else. */
(function () {
  "use strict";
  var parentOrigin = document.body && document.body.getAttribute("data-parent-origin");
  if (!parentOrigin || window.parent === window) return;
  function send() {
    // The body's own height: the document's is never less than the frame it fills.
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    window.parent.postMessage({ type: "cxloop:height", height: height }, parentOrigin);
  }
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
  document.addEventListener("htmx:afterSettle", send);
  window.addEventListener("load", send);
  send();
})();
