// Ask before anything that cannot be undone. Inline handlers are blocked by the CSP, so forms
// declare the question in data-confirm on their submit button.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
