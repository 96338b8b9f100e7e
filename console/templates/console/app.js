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
