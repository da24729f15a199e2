// The filter form: one set of API filters shared by the cameras, the density map and exports.
import { config } from "./config.js";

/** Fill every <select data-choices=group> and checkbox box from the server's choice lists. */
export function fillChoices(root) {
  for (const select of root.querySelectorAll("select[data-choices]")) {
    for (const choice of config.choices[select.dataset.choices] || []) {
      select.append(new Option(choice.label, choice.value));
    }
  }
  for (const box of root.querySelectorAll("[data-choices-checkbox]")) {
    const group = box.dataset.choicesCheckbox;
    for (const choice of config.choices[group] || []) {
      const label = document.createElement("label");
      label.className = "inline";
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = group;
      input.value = choice.value;
      label.append(input, choice.label);
      box.append(label);
    }
  }
}

export class Filters {
  constructor(form, onChange) {
    this.form = form;
    fillChoices(form);
    form.addEventListener("change", () => onChange(this.values()));
    form.addEventListener("reset", () => setTimeout(() => onChange(this.values()), 0));
    form.addEventListener("submit", (event) => event.preventDefault());
  }

  /** The chosen filters as API query parameters; empty ones left out. */
  values() {
    const values = {};
    for (const [key, value] of new FormData(this.form)) {
      if (value) values[key] = value;
    }
    return values;
  }

  /** How many filters are set, for the tool button's label. */
  get activeCount() {
    return Object.keys(this.values()).length;
  }
}
