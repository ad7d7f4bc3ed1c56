// Column choice on list pages: a table marked data-columns gets a "Columns" box of
// labelled checkboxes, one per column but the first (the row's name). What the user
// hides is remembered in this browser (localStorage), per list.
(function () {
  "use strict";
  const nameOf = th => th.textContent.replace(/\(.*?\)|[▲▼]/g, "").trim();

  function load(key) {
    try { return new Set(JSON.parse(localStorage.getItem(key) || "[]")); } catch (e) { return new Set(); }
  }

  function store(key, hidden) {
    try { localStorage.setItem(key, JSON.stringify([...hidden])); } catch (e) { /* private mode: not kept */ }
  }

  document.querySelectorAll("table[data-columns]").forEach(table => {
    if (!table.tHead || !table.tHead.rows.length) return;
    const key = `escalator.columns.${table.dataset.columns}`;
    const heads = [...table.tHead.rows[0].cells];
    const names = heads.map(nameOf);
    const hidden = load(key);

    const summary = document.createElement("summary");
    function apply() {
      const count = names.filter((name, i) => i > 0 && hidden.has(name)).length;
      summary.textContent = count ? `Columns (${count} hidden)` : "Columns";
      [...table.rows].forEach(row => {
        if (row.cells.length !== heads.length) return;  // "nothing matches" rows span them all
        [...row.cells].forEach((cell, i) => { cell.hidden = i > 0 && hidden.has(names[i]); });
      });
    }

    const box = document.createElement("details");
    box.className = "column-choice";
    box.id = `${table.id}-columns`;
    const fieldset = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.textContent = "Columns shown";
    fieldset.append(legend);
    names.forEach((name, i) => {
      if (i === 0 || !name) return;
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = "column";
      input.value = name;
      input.checked = !hidden.has(name);
      input.addEventListener("change", () => {
        if (input.checked) hidden.delete(name); else hidden.add(name);
        store(key, hidden);
        apply();
      });
      label.append(input, ` ${name}`);
      fieldset.append(label);
    });
    box.append(summary, fieldset);
    (table.closest(".scroll") || table).before(box);
    apply();
  });
})();
