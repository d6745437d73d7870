/* Fills the assignment table from the JSON data block, as text only, and sorts and filters it. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var table = document.getElementById("assignment-table");
  var tbody = table.tBodies[0];
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var shown = headers.map(function (th) { return Number(th.getAttribute("data-col")); });
  var filter = document.getElementById("filter");
  var usageFilter = document.getElementById("usage-filter");
  var count = document.getElementById("row-count");
  var usageCol = data.columns.indexOf("usage_status");
  var userStatusCol = data.columns.indexOf("user_status");

  var items = data.rows.map(function (cells, index) {
    var tr = document.createElement("tr");
    if (cells[usageCol] === "UNUSED") tr.className = "unused";
    if (cells[userStatusCol] === "NOT_FOUND") tr.className += " not-found";
    var text = [];
    shown.forEach(function (col) {
      var td = document.createElement("td");
      td.setAttribute("data-name", data.columns[col]);
      td.textContent = cells[col];
      tr.appendChild(td);
      text.push(cells[col].toLowerCase());
    });
    return { cells: cells, tr: tr, text: text.join("\u0000"), index: index };
  });

  /* A column sorts as numbers when every non-empty cell is an integer. */
  var numeric = {};
  shown.forEach(function (col) {
    numeric[col] = data.rows.every(function (r) { return r[col] === "" || /^-?\d+$/.test(r[col]); });
  });

  var sortCol = -1;
  var sortDir = 1;

  /* Empty cells first when ascending; ties keep the report's order. */
  function compare(a, b) {
    var x = a.cells[sortCol];
    var y = b.cells[sortCol];
    var order = 0;
    if (x !== y) {
      if (x === "") order = -1;
      else if (y === "") order = 1;
      else if (numeric[sortCol]) order = Number(x) - Number(y);
      else order = x < y ? -1 : 1;
    }
    return order * sortDir || a.index - b.index;
  }

  function render() {
    var needle = filter.value.trim().toLowerCase();
    var usage = usageFilter.value;
    var visible = items.filter(function (item) {
      return (usage === "" || item.cells[usageCol] === usage) &&
        (needle === "" || item.text.indexOf(needle) !== -1);
    });
    if (sortCol >= 0) visible.sort(compare);
    var rows = document.createDocumentFragment();
    visible.forEach(function (item) { rows.appendChild(item.tr); });
    tbody.textContent = "";
    tbody.appendChild(rows);
    count.textContent = visible.length === items.length
      ? items.length + " rows"
      : visible.length + " of " + items.length + " rows";
  }

  headers.forEach(function (th) {
    th.addEventListener("click", function () {
      var col = Number(th.getAttribute("data-col"));
      sortDir = col === sortCol ? -sortDir : 1;
      sortCol = col;
      headers.forEach(function (other) {
        other.setAttribute("aria-sort", other === th
          ? (sortDir === 1 ? "ascending" : "descending")
          : "none");
      });
      render();
    });
  });
  filter.addEventListener("input", render);
  usageFilter.addEventListener("change", render);
  render();
})();
