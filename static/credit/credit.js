// Show the enterprise-only fields when the applicant is an enterprise (the CSP blocks inline scripts).
document.addEventListener("change", function (event) {
  if (event.target.name === "applicant_kind") {
    toggleEnterprise();
  }
});
function toggleEnterprise() {
  var checked = document.querySelector("input[name=applicant_kind]:checked");
  var enterprise = checked && checked.value === "enterprise";
  document.querySelectorAll("[data-enterprise]").forEach(function (el) { el.hidden = !enterprise; });
  document.querySelectorAll("[data-individual]").forEach(function (el) { el.hidden = enterprise; });
}
document.addEventListener("DOMContentLoaded", toggleEnterprise);
