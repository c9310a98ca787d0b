/* cxloop embed: place a survey on any page of a site the survey allows.

   <script src="https://cx.example.com/embed.js" data-survey="delivery" async></script>

   Options, as data- attributes of the script tag:
     data-mode="inline" (default: where the tag is) or "corner" (a widget, bottom right)
     data-title="…"     the frame's accessible name (default: "Survey")
     data-field-NAME="…" a hidden field, e.g. data-field-order_id="A-1001"; the survey
                          keeps only the fields it accepts
   No dependencies; nothing is sent anywhere but the cxloop server that served this file. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-survey")) return;
  var server = new URL(script.src).origin;
  var mode = script.getAttribute("data-mode") === "corner" ? "corner" : "inline";
  var url = new URL("/s/" + encodeURIComponent(script.getAttribute("data-survey")), server);
  url.searchParams.set("channel", "embed");
  url.searchParams.set("origin", window.location.origin);
  Array.prototype.forEach.call(script.attributes, function (attribute) {
    if (attribute.name.indexOf("data-field-") === 0) {
      url.searchParams.set(attribute.name.slice("data-field-".length), attribute.value);
    }
  });

  var frame = document.createElement("iframe");
  frame.src = url.toString();
  frame.title = script.getAttribute("data-title") || "Survey";
  frame.setAttribute("data-cxloop-survey", script.getAttribute("data-survey"));
  frame.style.cssText = "width:100%;height:420px;border:0;display:block;background:transparent";

  var box = frame;
  if (mode === "corner") {
    box = document.createElement("div");
    box.style.cssText =
      "position:fixed;right:16px;bottom:16px;width:min(380px,calc(100vw - 32px));" +
      "max-height:calc(100vh - 32px);overflow:auto;background:#fff;border-radius:12px;" +
      "box-shadow:0 8px 30px rgba(0,0,0,.25);z-index:2147483000";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Close the survey");
    close.style.cssText =
      "position:absolute;top:4px;right:8px;border:0;background:none;font-size:22px;cursor:pointer";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(frame);
    box.appendChild(close);
    document.body.appendChild(box);
  } else {
    script.parentNode.insertBefore(box, script.nextSibling);
  }

  window.addEventListener("message", function (event) {
    // Only the survey's own frame, served from this cxloop server, may resize it.
    if (event.origin !== server || event.source !== frame.contentWindow) return;
    var data = event.data;
    if (data && data.type === "cxloop:height" && typeof data.height === "number") {
      frame.style.height = Math.max(120, Math.min(Math.ceil(data.height), 2000)) + "px";
    }
  });
})();
