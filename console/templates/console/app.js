// Light JavaScript only: confirm destructive buttons, warn about a too-large file before it is sent.
document.addEventListener("submit", function (e) {
  var msg = e.submitter && e.submitter.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
document.addEventListener("change", function (e) {
  var input = e.target;
  if (input.type === "file" && input.files && input.files[0] && input.dataset.limit) {
    var warn = document.getElementById("size-warning");
    var big = input.files[0].size > Number(input.dataset.limit);
    if (warn) { warn.hidden = !big; }
  }
});
// A form sent once: its buttons are disabled right after sending (the server applies a
// decision or a reply once anyway).
document.addEventListener("submit", function (e) {
  if (e.defaultPrevented) { return; }
  var form = e.target;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  }, 0);
});
// Pages that show shared state (the inbox) ask every 3 seconds whether it changed and
// reload then — unless the person is typing a reply.
(function () {
  var el = document.querySelector("[data-poll]");
  if (!el) { return; }
  window.setInterval(function () {
    var typing = document.activeElement && document.activeElement.tagName === "TEXTAREA" && document.activeElement.value;
    if (typing) { return; }
    fetch(el.getAttribute("data-poll"), {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      if (d.state && d.state !== el.getAttribute("data-state")) { window.location.reload(); }
    }).catch(function () {});
  }, 3000);
})();
