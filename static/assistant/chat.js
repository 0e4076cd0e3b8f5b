// The public chat: keep the newest message in view and empty the box after a question is sent.
// (Inline handlers are blocked by the CSP, so this lives here.)
(function () {
  function scrollToEnd() {
    var end = document.getElementById("chat-end");
    if (end && end.scrollIntoView) {
      end.scrollIntoView({ block: "end" });
    }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "chat-log") {
      scrollToEnd();
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.id === "ask" && event.detail.successful) {
      form.reset();
      var input = document.getElementById("question");
      if (input) {
        input.focus();
      }
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (document.querySelector("#chat-log .msg.user")) {
      scrollToEnd();
    }
  });
})();
