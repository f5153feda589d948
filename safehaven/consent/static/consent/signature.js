// Safe Haven — a small drawn-signature pad. Without JavaScript the typed signature is used.
(function () {
  "use strict";
  document.querySelectorAll("[data-signature-pad]").forEach(function (pad) {
    var canvas = pad.querySelector("canvas");
    var target = document.getElementById(canvas.getAttribute("data-signature-target"));
    if (!canvas.getContext || !target) { return; }
    pad.hidden = false;
    var ctx = canvas.getContext("2d");
    ctx.lineWidth = 2; ctx.lineCap = "round";
    var drawing = false;
    function point(event) {
      var box = canvas.getBoundingClientRect();
      var x = Math.round((event.clientX - box.left) * canvas.width / box.width);
      var y = Math.round((event.clientY - box.top) * canvas.height / box.height);
      return [Math.max(0, Math.min(canvas.width, x)), Math.max(0, Math.min(canvas.height, y))];
    }
    function add(command, p) {
      var text = command + p[0] + " " + p[1];
      if (target.value.length + text.length + 1 > 20000) { return; }
      target.value = target.value ? target.value + " " + text : text;
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true; canvas.setPointerCapture(event.pointerId);
      var p = point(event); ctx.beginPath(); ctx.moveTo(p[0], p[1]); add("M", p);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = point(event); ctx.lineTo(p[0], p[1]); ctx.stroke(); add("L", p);
    });
    function stop() { drawing = false; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    pad.querySelector("[data-signature-clear]").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); target.value = "";
    });
  });
})();
