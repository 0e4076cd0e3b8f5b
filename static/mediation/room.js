// The mediation room: a websocket tells the page that something changed, and the page fetches the
// new messages over HTTP (htmx). Without websockets (old browsers, proxies) the log polls instead,
// so the room works everywhere. Messages are sent over the websocket when it is open, else by POST.
(function () {
  var room = document.getElementById("room");
  if (!room) { return; }
  var status = document.getElementById("room-live");
  var socket = null;
  var retries = 0;

  function refresh() {
    var log = document.getElementById("room-log");
    if (log && window.htmx) { window.htmx.trigger(log, "jf-refresh"); }
  }

  function scrollDown() {
    var log = document.getElementById("room-log");
    if (log) { log.scrollTop = log.scrollHeight; }
  }

  function connect() {
    if (!("WebSocket" in window) || !room.dataset.ws) { return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + room.dataset.ws);
    } catch (e) { socket = null; return; }
    socket.onopen = function () {
      retries = 0;
      if (status) { status.textContent = "实时连接"; status.classList.add("on"); }
    };
    socket.onmessage = function (event) {
      var data = {};
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.type === "update") { refresh(); }
      if (data.type === "error" && data.message) { window.alert(data.message); }
    };
    socket.onclose = function () {
      socket = null;
      if (status) { status.textContent = "自动刷新"; status.classList.remove("on"); }
      if (retries < 5) { retries += 1; window.setTimeout(connect, 2000 * retries); }
    };
  }

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target;
    if (!form || form.id !== "room-compose" || !socket || socket.readyState !== 1) { return; }
    var field = form.querySelector("textarea[name=body]");
    var body = field ? field.value.trim() : "";
    if (!body) { return; }
    event.preventDefault();
    socket.send(JSON.stringify({ type: "message", body: body }));
    form.reset();
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.target && event.target.id === "room-compose" && event.detail.successful) { event.target.reset(); }
  });
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && (event.target.id === "room-log" || event.detail.target.id === "room-log")) { scrollDown(); }
  });
  document.body.addEventListener("htmx:load", function (event) {
    if (event.target && event.target.id === "room-log") { scrollDown(); }
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    if (event.target && event.target.id === "room-compose") {
      window.alert(event.detail.xhr.responseText.replace(/<[^>]*>/g, "") || "发送失败");
    }
  });
  scrollDown();
  connect();
})();
