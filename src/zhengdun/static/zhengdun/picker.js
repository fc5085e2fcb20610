/* Search pickers: a search box asks the server (htmx) for at most ~30 matches; a picked match becomes
   a removable chip carrying a hidden input, so the page never holds the roster. The server checks
   every submitted id again (the form's roster and the service's scope check). */
(function () {
  "use strict";

  function chipsOf(picker) { return picker.querySelector("[data-chips]"); }

  function updateCount(picker) {
    const out = picker.querySelector("[data-chip-count]");
    if (out) { out.textContent = String(chipsOf(picker).querySelectorAll(".zd-chip").length); }
    const clear = picker.querySelector("[data-chip-clear]");
    if (clear) { clear.hidden = !chipsOf(picker).querySelector(".zd-chip"); }
  }

  function markPicked(picker) {
    const keys = new Set(Array.from(chipsOf(picker).querySelectorAll(".zd-chip")).map(function (c) { return c.dataset.key; }));
    picker.querySelectorAll("[data-pick-value]").forEach(function (button) {
      const key = (button.dataset.pickName || picker.dataset.name) + ":" + button.dataset.pickValue;
      const picked = keys.has(key);
      button.classList.toggle("active", picked);
      button.setAttribute("aria-pressed", picked ? "true" : "false");
    });
  }

  function makeChip(picker, name, value, label) {
    const chip = document.createElement("span");
    chip.className = "zd-chip badge rounded-pill text-bg-light border d-inline-flex align-items-center gap-1 fw-normal";
    chip.dataset.key = name + ":" + value;
    const text = document.createElement("span");
    text.textContent = label;
    const input = document.createElement("input");
    input.type = "hidden"; input.name = name; input.value = value;
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "btn-close zd-chip-remove";
    remove.setAttribute("data-chip-remove", "");
    remove.setAttribute("aria-label", (picker.dataset.removeLabel || "remove") + " " + label);
    chip.append(text, input, remove);
    return chip;
  }

  function pick(button) {
    const picker = button.closest(".zd-picker");
    if (!picker) { return; }
    const name = button.dataset.pickName || picker.dataset.name;
    const key = name + ":" + button.dataset.pickValue;
    const chips = chipsOf(picker);
    const existing = Array.from(chips.querySelectorAll(".zd-chip")).find(function (c) { return c.dataset.key === key; });
    if (existing) {
      if (picker.dataset.multiple === "1") { existing.remove(); }  // a second click takes it out again
    } else {
      if (picker.dataset.multiple !== "1") { chips.replaceChildren(); }
      chips.append(makeChip(picker, name, button.dataset.pickValue, button.dataset.pickLabel));
    }
    if (picker.dataset.multiple !== "1") {
      picker.querySelectorAll("[data-results]").forEach(function (r) { r.replaceChildren(); });
      picker.querySelectorAll("input[type=search]").forEach(function (i) { i.value = ""; });
    }
    updateCount(picker);
    markPicked(picker);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest(".zd-picker [data-pick-value]");
    if (button) { event.preventDefault(); pick(button); return; }
    const remove = event.target.closest(".zd-picker [data-chip-remove]");
    if (remove) {
      const picker = remove.closest(".zd-picker");
      remove.closest(".zd-chip").remove();
      updateCount(picker); markPicked(picker);
      return;
    }
    const clear = event.target.closest(".zd-picker [data-chip-clear]");
    if (clear) {
      const picker = clear.closest(".zd-picker");
      chipsOf(picker).replaceChildren();
      updateCount(picker); markPicked(picker);
    }
  });

  // Enter in a search box must not submit the record's form: it picks the only match, if one.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches(".zd-picker input[type=search]")) { return; }
    event.preventDefault();
    const results = event.target.parentElement.querySelectorAll("[data-pick-value]");
    if (results.length === 1) { pick(results[0]); }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const picker = event.target.closest && event.target.closest(".zd-picker");
    if (picker) { markPicked(picker); }
  });

  document.querySelectorAll(".zd-picker").forEach(updateCount);
})();
