(function () {
  "use strict";
  // Filters and sorting for the port map. Values are only ever read from data-*
  // attributes and compared as strings; nothing is written back as HTML.
  var form = document.getElementById("filters");
  if (!form) { return; }
  form.hidden = false;
  var shown = document.getElementById("shown");
  var KEYS = ["scope", "severity", "format"];
  // The model is read from the page once: every row's filter values, every group's rows, every
  // section's tables. Filtering and sorting then work on these arrays and touch the DOM only where
  // something changes (a row's hidden flag, one fragment append per table).
  var sections = [], rows = [];
  Array.prototype.forEach.call(document.querySelectorAll("section.scope"), function (sectionEl) {
    var section = {el: sectionEl, tables: [], shown: -1};
    Array.prototype.forEach.call(sectionEl.querySelectorAll("table"), function (tableEl) {
      var table = {el: tableEl, bodies: []};
      Array.prototype.forEach.call(tableEl.tBodies, function (bodyEl, index) {
        var body = {el: bodyEl, rows: [], index: index, shown: -1};
        Array.prototype.forEach.call(bodyEl.querySelectorAll("tr.exposure"), function (rowEl, order) {
          var row = {el: rowEl, order: order, hidden: false, keys: {},
                     scope: rowEl.getAttribute("data-scope"), severity: rowEl.getAttribute("data-severity"),
                     format: rowEl.getAttribute("data-format"), search: rowEl.getAttribute("data-search") || ""};
          body.rows.push(row);
          rows.push(row);
        });
        table.bodies.push(body);
      });
      section.tables.push(table);
    });
    sections.push(section);
  });

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
    var want = {}, q = query(), words = q ? q.split(/\s+/) : [], visible = 0;
    KEYS.forEach(function (k) { want[k] = chosen(k); });
    sections.forEach(function (section) {
      var inSection = 0;
      section.tables.forEach(function (table) {
        table.bodies.forEach(function (body) {
          var inBody = 0;
          body.rows.forEach(function (row) {
            var ok = want.scope[row.scope] === true && want.severity[row.severity] === true &&
              want.format[row.format] === true;
            for (var i = 0; ok && i < words.length; i += 1) { ok = row.search.indexOf(words[i]) !== -1; }
            if (row.hidden === ok) { row.hidden = !ok; row.el.hidden = !ok; }
            if (ok) { inBody += 1; }
          });
          if ((body.shown === 0) !== (inBody === 0)) { body.el.hidden = inBody === 0; }
          body.shown = inBody;
          inSection += inBody;
        });
      });
      if ((section.shown === 0) !== (inSection === 0)) { section.el.hidden = inSection === 0; }
      section.shown = inSection;
      visible += inSection;
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

  // -- sorting: rows within each resource group, groups by their first row. Each row's key for a
  // column is read once and kept; the sorted groups go back in one DocumentFragment per table.
  function key(row, col) {
    if (col in row.keys) { return row.keys[col]; }
    var cell = row.el.cells[col];
    var v = cell ? cell.getAttribute("data-v") || "" : "";
    var k = v !== "" && /^-?\d+$/.test(v) ? parseInt(v, 10) : v.toLowerCase();
    row.keys[col] = k;
    return k;
  }
  function compare(a, b, dir) {
    var r = typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : (typeof a === "number" ? -1 : 1);
    return dir === "desc" ? -r : r;
  }
  function sortBy(col, dir) {
    var th = document.querySelector("thead th[data-col='" + col + "'][data-sortable]");
    if (!th) { return; }
    sortState = {col: col, dir: dir};
    sections.forEach(function (section) {
      section.tables.forEach(function (table) {
        table.bodies.forEach(function (body) {
          if (body.rows.length < 2) { return; }
          body.rows.sort(function (a, b) { return compare(key(a, col), key(b, col), dir) || a.order - b.order; });
          var rowsFragment = document.createDocumentFragment();
          body.rows.forEach(function (row) { rowsFragment.appendChild(row.el); });
          body.el.appendChild(rowsFragment);
        });
        table.bodies.sort(function (a, b) {
          return compare(key(a.rows[0], col), key(b.rows[0], col), dir) || a.index - b.index;
        });
        var fragment = document.createDocumentFragment();
        table.bodies.forEach(function (body) { fragment.appendChild(body.el); });
        table.el.appendChild(fragment);
      });
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
