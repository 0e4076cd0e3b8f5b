// The monitoring dashboard: each panel loads its own JSON (so each can be timed and cached alone)
// and draws it with the vendored ECharts. No inline script: the CSP allows scripts from 'self' only.
(function () {
  "use strict";

  var instances = [];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fmt(value) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "number") {
      return value.toLocaleString("zh-CN", { maximumFractionDigits: 2 });
    }
    return String(value);
  }

  function download(href, filename) {
    var a = el("a");
    a.href = href;
    a.download = filename;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function renderTiles(body, tiles) {
    if (!tiles || !tiles.length) return;
    var box = el("div", "tiles");
    tiles.forEach(function (t) {
      var tile = el("div", "tile" + (t.alert ? " alert" : ""));
      tile.dataset.figure = t.key;
      tile.appendChild(el("div", "tile-label", t.label));
      var value = el("div", "tile-value", t.value);
      if (t.unit) value.appendChild(el("small", null, " " + t.unit));
      tile.appendChild(value);
      if (t.hint) tile.appendChild(el("div", "tile-hint", t.hint));
      box.appendChild(tile);
    });
    body.appendChild(box);
  }

  function renderCharts(body, list) {
    if (!list || !list.length || !window.echarts) return;
    var small = list.every(function (c) { return c.small; });
    var box = el("div", small ? "charts gauges" : "charts");
    body.appendChild(box);
    list.forEach(function (c) {
      var wrap = el("figure", "chart-box");
      var head = el("figcaption");
      head.appendChild(el("span", c.small ? "chart-title strong" : "chart-title", c.title));
      var png = el("button", "link-button export-png", "导出图片");
      png.type = "button";
      head.appendChild(png);
      wrap.appendChild(head);
      var canvas = el("div", "chart" + (c.small ? " small" : ""));
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", c.title);
      wrap.appendChild(canvas);
      box.appendChild(wrap);
      var chart = window.echarts.init(canvas, null, { renderer: "canvas" });
      chart.setOption(c.option);
      canvas.dataset.chartReady = "1";
      instances.push(chart);
      png.addEventListener("click", function () {
        var url = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
        download(url, c.title + ".png");
      });
    });
  }

  function renderTable(body, table) {
    if (!table || !table.columns || !table.columns.length) return;
    var wrap = el("div", "table-wrap");
    var t = el("table", "responsive");
    if (table.title) t.appendChild(el("caption", null, table.title));
    var thead = el("thead");
    var hr = el("tr");
    table.columns.forEach(function (c, i) {
      hr.appendChild(el("th", i >= table.numeric_from ? "num" : null, c));
    });
    thead.appendChild(hr);
    t.appendChild(thead);
    var tbody = el("tbody");
    if (!table.rows.length) {
      var empty = el("tr");
      var td = el("td", "muted", "暂无数据");
      td.colSpan = table.columns.length;
      empty.appendChild(td);
      tbody.appendChild(empty);
    }
    table.rows.forEach(function (row) {
      var tr = el("tr");
      row.forEach(function (cell, i) {
        var cellNode = el("td", i >= table.numeric_from ? "num" : null, fmt(cell));
        cellNode.dataset.label = table.columns[i] || "";
        tr.appendChild(cellNode);
      });
      tbody.appendChild(tr);
    });
    t.appendChild(tbody);
    wrap.appendChild(t);
    body.appendChild(wrap);
  }

  function render(section, data) {
    var body = section.querySelector(".panel-body");
    body.textContent = "";
    renderTiles(body, data.tiles);
    renderCharts(body, data.charts);
    var details = body;
    if (data.table_hidden) data.table = null;
    if (data.charts && data.charts.length && data.table && data.table.rows.length > 6) {
      details = el("details", "panel-table");
      details.appendChild(el("summary", null, "查看数据表"));
      body.appendChild(details);
    }
    renderTable(details, data.table);
    if (data.notes && data.notes.length) {
      var ul = el("ul", "notes muted");
      data.notes.forEach(function (n) { ul.appendChild(el("li", null, n)); });
      body.appendChild(ul);
    }
    body.appendChild(el("p", "fresh muted" + (data.stale ? " stale" : ""), data.as_of_text));
    var head = document.getElementById("stats-fresh");
    if (head && data.as_of_text) {
      head.textContent = data.as_of_text;
      head.classList.toggle("stale", !!data.stale);
    }
    section.dataset.ready = "1";
  }

  function load(section) {
    fetch(section.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        if (!result.ok) throw new Error(result.data.message || "加载失败");
        render(section, result.data);
      })
      .catch(function (error) {
        var body = section.querySelector(".panel-body");
        body.textContent = "";
        body.appendChild(el("p", "error", "加载失败：" + error.message));
        section.dataset.ready = "error";
      });
  }

  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      instances.forEach(function (c) { c.resize(); });
    }, 150);
  });

  document.querySelectorAll("[data-panel][data-url]").forEach(load);
})();
