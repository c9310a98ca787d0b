/* cxloop survey page: when embedded by /embed.js, tell the embedding page how tall the survey
   is, so its iframe fits without a scroll bar. Only the origin the server accepted for this
   survey (data-parent-origin) is told; the browser shows the page framed nowhere else. */
(function () {
  "use strict";
  var parentOrigin = document.body && document.body.getAttribute("data-parent-origin");
  if (!parentOrigin || window.parent === window) return;
  function send() {
    var height = document.documentElement.scrollHeight;
    window.parent.postMessage({ type: "cxloop:height", height: height }, parentOrigin);
  }
  if (window.ResizeObserver) new ResizeObserver(send).observe(document.body);
  document.addEventListener("htmx:afterSettle", send);
  window.addEventListener("load", send);
  send();
})();
