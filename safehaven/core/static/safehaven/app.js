// Safe Haven — our own script. Pages work without it; it adds quick exit by keyboard.
(function () {
  "use strict";
  var neutral = document.body ? document.body.getAttribute("data-neutral-url") : null;
  function quickExit(event) {
    if (event) { event.preventDefault(); }
    try { document.body.innerHTML = ""; document.title = ""; } catch (e) { /* ignore */ }
    // replace() swaps the current history entry, so Back does not return to this page.
    window.location.replace((neutral || "/weather/") + "?exit=1");
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-quick-exit]") : null;
    if (target) { quickExit(event); }
  });
  var lastEsc = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEsc < 1500) { quickExit(event); }
    lastEsc = now;
  });
  // Confirm before a form that asks for it (e.g. an unsafe contact attempt).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });
})();
