// A span's page (web/span_iframes.py): sends the span to each span iframe that asks for it (post_message),
// as {type: "data_update", data: <the span, as /fetch answers it>}, when the frame loads and whenever the
// frame asks again with {type: "request_data"}. The target is the frame's own origin, never "*".
(function () {
  function span() {
    var source = document.getElementById("span-event");
    return source ? JSON.parse(source.textContent) : null;
  }
  function post(frame) {
    var data = span();
    if (data && frame.contentWindow) frame.contentWindow.postMessage({ type: "data_update", data: data }, frame.dataset.postSpanTo);
  }
  function frames() { return document.querySelectorAll("iframe[data-post-span-to]"); }
  document.addEventListener("DOMContentLoaded", function () {
    frames().forEach(function (frame) { frame.addEventListener("load", function () { post(frame); }); });
  });
  window.addEventListener("message", function (event) {
    if (!event.data || event.data.type !== "request_data") return;
    frames().forEach(function (frame) {
      if (event.source === frame.contentWindow && event.origin === frame.dataset.postSpanTo) post(frame);
    });
  });
})();
