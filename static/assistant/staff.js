// Staff pages of the assistant: copy a candidate answer into the reply box (no inline JS under the CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest(".use-answer");
  if (!button) {
    return;
  }
  var box = document.getElementById("reply-text");
  if (box) {
    box.value = button.dataset.answer;
    box.focus();
  }
});
