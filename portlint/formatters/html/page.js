(function () {
  "use strict";
  // Filters and sorting for the port map. Values are only ever read from data-*
  // attributes and compared as strings; nothing is written back as HTML.
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.exposure"));
  var shown = document.getElementById("shown");
  var KEYS = ["scope", "severity", "format"];

  function boxes(name) {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name='" + name + "']"));
  }
  function chosen(name) {
    var set = {};
    boxes(name).forEach(function (box) { if (box.checked) { set[box.value] = true; } });
    return set;
  }
  function query() { return form.elements.q.value.trim().toLowerCase(); }

  function apply() {
    var want = {}, q = query(), visible = 0;
    KEYS.forEach(function (k) { want[k] = chosen(k); });
    rows.forEach(function (row) {
      var ok = KEYS.every(function (k) { return want[k][row.getAttribute("data-" + k)] === true; });
      if (ok && q) { ok = q.split(/\s+/).every(function (w) { return row.getAttribute("data-search").indexOf(w) !== -1; }); }
      row.hidden = !ok;
      if (ok) { visible += 1; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.scope tbody"), function (body) {
      body.hidden = !body.querySelector("tr.exposure:not([hidden])");
    });
    Array.prototype.forEach.call(document.querySelectorAll("section.scope"), function (section) {
      section.hidden = !section.querySelector("tr.exposure:not([hidden])");
    });
    shown.textContent = "Showing " + visible + " of " + rows.length + " exposures";
    writeHash();
  }

  // -- URL fragment: #scope=internet,private&severity=critical&format=compose&q=redis&sort=3:desc
  var sortState = null;
  function writeHash() {
    var parts = [];
    KEYS.forEach(function (k) {
      var all = boxes(k), on = all.filter(function (b) { return b.checked; });
      if (on.length !== all.length) {
        parts.push(k + "=" + on.map(function (b) { return encodeURIComponent(b.value); }).join(","));
      }
    });
    if (query()) { parts.push("q=" + encodeURIComponent(query())); }
    if (sortState) { parts.push("sort=" + sortState.col + ":" + sortState.dir); }
    if (!parts.length && location.hash.indexOf("=") === -1) { return; }  // keep a plain anchor
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash !== location.hash && !(hash === "" && location.hash === "#")) {
      history.replaceState(null, "", hash || location.pathname + location.search);
    }
  }
  function decode(text) { try { return decodeURIComponent(text); } catch (e) { return ""; } }
  function readHash() {
    var params = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) { params[pair.slice(0, at)] = pair.slice(at + 1); }
    });
    if (!KEYS.some(function (k) { return k in params; }) && !("q" in params) && !("sort" in params)) {
      if (location.hash.length > 1) { return false; }  // an ordinary anchor such as #scope-internet
    }
    KEYS.forEach(function (k) {
      var values = k in params ? params[k].split(",").map(decode) : null;
      boxes(k).forEach(function (box) { box.checked = values === null || values.indexOf(box.value) !== -1; });
    });
    form.elements.q.value = "q" in params ? decode(params.q) : "";
    if ("sort" in params) {
      var s = params.sort.split(":");
      sortBy(parseInt(s[0], 10), s[1] === "desc" ? "desc" : "asc");
    }
    return true;
  }

  // -- sorting: rows within each resource group, groups by their first row
  function key(row, col) {
    var cell = row.cells[col];
    var v = cell ? cell.getAttribute("data-v") || "" : "";
    return v !== "" && /^-?\d+$/.test(v) ? parseInt(v, 10) : v.toLowerCase();
  }
  function compare(a, b, dir) {
    var r = typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : (typeof a === "number" ? -1 : 1);
    return dir === "desc" ? -r : r;
  }
  function sortBy(col, dir) {
    var th = document.querySelector("thead th[data-col='" + col + "'][data-sortable]");
    if (!th) { return; }
    sortState = {col: col, dir: dir};
    Array.prototype.forEach.call(document.querySelectorAll("section.scope table"), function (table) {
      var bodies = Array.prototype.slice.call(table.tBodies);
      bodies.forEach(function (body) {
        var items = Array.prototype.slice.call(body.querySelectorAll("tr.exposure"));
        items.sort(function (a, b) { return compare(key(a, col), key(b, col), dir); });
        items.forEach(function (row) { body.appendChild(row); });
      });
      bodies.sort(function (a, b) {
        return compare(key(a.querySelector("tr.exposure"), col), key(b.querySelector("tr.exposure"), col), dir);
      });
      bodies.forEach(function (body) { table.appendChild(body); });
    });
    Array.prototype.forEach.call(document.querySelectorAll("thead th[data-sortable]"), function (h) {
      if (h.getAttribute("data-col") === String(col)) { h.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending"); }
      else { h.removeAttribute("aria-sort"); }
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("thead th[data-sortable]"), function (th) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = th.textContent;
    button.title = "Sort by " + th.textContent;
    th.textContent = "";
    th.appendChild(button);
    button.addEventListener("click", function () {
      var col = parseInt(th.getAttribute("data-col"), 10);
      var dir = sortState && sortState.col === col && sortState.dir === "asc" ? "desc" : "asc";
      sortBy(col, dir);
      writeHash();
    });
  });

  form.addEventListener("change", apply);
  form.addEventListener("input", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { setTimeout(apply, 0); });
  window.addEventListener("hashchange", function () { if (readHash()) { apply(); } });
  readHash();
  apply();
}());
