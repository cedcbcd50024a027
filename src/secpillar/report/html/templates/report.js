(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.querySelectorAll("tr.row"));
  var ids = ["f-severity", "f-status", "f-account", "f-check", "f-text"];
  var inputs = {};
  ids.forEach(function (id) { inputs[id] = document.getElementById(id); });
  var shown = document.getElementById("shown-count");

  function detailOf(row) { return row.nextElementSibling; }

  function apply() {
    var sev = inputs["f-severity"].value, st = inputs["f-status"].value;
    var acct = inputs["f-account"].value, chk = inputs["f-check"].value;
    var text = inputs["f-text"].value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var ok = (!sev || d.severity === sev) && (!st || d.status === st) && (!acct || d.account === acct) &&
        (!chk || d.check === chk) && (!text || d.text.indexOf(text) !== -1);
      row.hidden = !ok;
      if (!ok) { detailOf(row).hidden = true; row.querySelector("button.toggle").setAttribute("aria-expanded", "false"); }
      if (ok) { n += 1; }
    });
    shown.textContent = "(" + n + " of " + rows.length + " shown)";
  }

  ids.forEach(function (id) { inputs[id].addEventListener(id === "f-text" ? "input" : "change", apply); });

  body.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button.toggle");
    if (!btn) { return; }
    var row = btn.closest("tr"), detail = detailOf(row);
    detail.hidden = !detail.hidden;
    btn.setAttribute("aria-expanded", detail.hidden ? "false" : "true");
  });

  var keys = { severity: "sevrank", status: "status", check: "check", account: "account", region: "region", resource: "resource" };
  Array.prototype.forEach.call(table.tHead.querySelectorAll("th[data-sort]"), function (th) {
    th.addEventListener("click", function () {
      var key = keys[th.dataset.sort];
      var desc = !th.classList.contains("desc");
      Array.prototype.forEach.call(table.tHead.querySelectorAll("th"), function (h) { h.classList.remove("asc", "desc"); });
      th.classList.add(desc ? "desc" : "asc");
      var sorted = rows.slice().sort(function (a, b) {
        var x = a.dataset[key], y = b.dataset[key];
        var c = key === "sevrank" ? Number(x) - Number(y) : x.localeCompare(y);
        return desc ? -c : c;
      });
      sorted.forEach(function (row) { var d = detailOf(row); body.appendChild(row); body.appendChild(d); });
      rows = sorted;
    });
  });

  apply();
  document.documentElement.setAttribute("data-report-ready", "1");
}());
