// Ask before anything that cannot be undone. Inline handlers are blocked by the CSP, so forms
// declare the question in data-confirm on their submit button.
document.addEventListener("click", function (event) {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});

// The phone menu: one button shows or hides the navigation.
document.addEventListener("click", function (event) {
  const toggle = event.target.closest(".menu-toggle");
  if (!toggle) return;
  const header = toggle.closest("header");
  const open = header.classList.toggle("open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});
