// corpus-builder browse: filters on the index, views and entity details on a
// document page. Local, no network, no libraries.
"use strict";
(function () {
  // --- index: filters ---------------------------------------------------------
  const table = document.getElementById("documents");
  if (table) {
    const controls = Array.from(document.querySelectorAll("[data-filter]"));
    const rows = Array.from(table.tBodies[0].rows);
    const shown = document.getElementById("shown");
    const apply = function () {
      let n = 0;
      for (const row of rows) {
        let ok = true;
        for (const c of controls) {
          const name = c.dataset.filter;
          if (c.type === "checkbox") {
            if (c.checked && !row.dataset[name]) ok = false;
          } else if (c.value) {
            const have = row.dataset[name] || "";
            ok = ok && (name === "label" || name === "source" ? have.includes(" " + c.value + " ") : have === c.value);
          }
        }
        row.hidden = !ok;
        if (ok) n += 1;
      }
      shown.textContent = n + " of " + rows.length + " documents on this page shown";
    };
    for (const c of controls) c.addEventListener("change", apply);
    apply();
  }

  // --- document: views ----------------------------------------------------------
  const buttons = Array.from(document.querySelectorAll("[data-view]"));
  for (const b of buttons) {
    b.addEventListener("click", function () {
      for (const other of buttons) other.setAttribute("aria-pressed", String(other === b));
      for (const pane of document.querySelectorAll("[data-pane]")) pane.hidden = pane.dataset.pane !== b.dataset.view;
    });
  }
  const sentences = document.getElementById("toggle-sentences");
  if (sentences) {
    sentences.addEventListener("change", function () {
      document.body.classList.toggle("show-sentences", sentences.checked);
    });
  }

  // --- document: entity details on click (hover shows the title) ---------------
  const details = document.getElementById("details");
  if (details) {
    const body = details.querySelector(".body");
    details.querySelector(".close").addEventListener("click", function () { details.hidden = true; });
    const show = function (mark) {
      const row = document.getElementById(mark.dataset.ref);
      if (!row) return;
      const table = row.closest("table");
      const heads = table.tHead ? Array.from(table.tHead.rows[0].cells).map(function (c) { return c.textContent; })
        : ["#", "text", "label", "span", "result"];
      const dl = document.createElement("dl");
      Array.from(row.cells).forEach(function (cell, i) {
        const dt = document.createElement("dt");
        dt.textContent = heads[i] || "";
        const dd = document.createElement("dd");
        for (const child of Array.from(cell.childNodes)) dd.appendChild(child.cloneNode(true));
        dl.append(dt, dd);
      });
      body.replaceChildren(dl);
      details.hidden = false;
      for (const r of document.querySelectorAll("tr.selected, mark.selected")) r.classList.remove("selected");
      row.classList.add("selected");
      mark.classList.add("selected");
    };
    document.addEventListener("click", function (ev) {
      const mark = ev.target.closest("mark.entity");
      if (mark) show(mark);
    });
    document.addEventListener("keydown", function (ev) {
      const mark = ev.target.closest && ev.target.closest("mark.entity");
      if (mark && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); show(mark); }
    });
  }
})();
