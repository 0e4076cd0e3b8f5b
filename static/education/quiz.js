// The countdown on a quiz paper. Display only: the deadline that counts is checked on the server.
(function () {
  var timer = document.querySelector("[data-seconds-left]");
  if (!timer) return;
  var left = parseInt(timer.dataset.secondsLeft, 10);
  var form = document.getElementById("paper");
  var label = timer.querySelector("span");
  function show() {
    var m = Math.floor(Math.max(left, 0) / 60), s = Math.max(left, 0) % 60;
    label.textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (left <= 60) timer.classList.add("low");
  }
  show();
  var tick = setInterval(function () {
    left -= 1;
    show();
    if (left <= 0) {
      clearInterval(tick);
      if (form && !form.dataset.sent) { form.dataset.sent = "1"; form.submit(); }
    }
  }, 1000);
  if (form) form.addEventListener("submit", function () { form.dataset.sent = "1"; });
})();
