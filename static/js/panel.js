// The side panel (a bottom sheet on phones): one section at a time, opened by the tool buttons
// or by choosing a camera. Tools tell the map what a click means (place a camera, a route end).

export class Panel {
  constructor(root, toolButtons) {
    this.root = root;
    this.title = root.querySelector("#panel-title");
    this.buttons = toolButtons;
    this.current = null;
    this.listeners = [];
    root.querySelector(".panel-close").addEventListener("click", () => this.close());
    // Escape closes the panel wherever the focus is (the map keeps it after Enter).
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.root.hidden) this.close();
    });
    for (const button of toolButtons) {
      button.addEventListener("click", () => {
        const tool = button.dataset.tool;
        if (this.current === tool) this.close();
        else this.open(tool);
      });
    }
  }

  section(name) {
    return this.root.querySelector(`[data-section="${name}"]`);
  }

  /** Show one section; `focus` moves the keyboard into the panel (not on map clicks). */
  open(name, { focus = true } = {}) {
    const previous = this.current;
    for (const section of this.root.querySelectorAll("[data-section]")) {
      section.hidden = section.dataset.section !== name;
    }
    const section = this.section(name);
    this.title.textContent = section.dataset.title;
    this.root.hidden = false;
    this.current = name;
    for (const button of this.buttons) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === name));
    }
    if (focus) this.root.focus({ preventScroll: true });
    if (previous !== name) this.notify(previous, name);
  }

  close() {
    const previous = this.current;
    this.root.hidden = true;
    this.current = null;
    for (const button of this.buttons) button.setAttribute("aria-pressed", "false");
    this.notify(previous, null);
    const button = this.buttons.find((b) => b.dataset.tool === previous);
    if (button) button.focus();
  }

  /** Called with (previousSection, newSection) whenever the section changes. */
  onChange(listener) {
    this.listeners.push(listener);
  }

  notify(previous, next) {
    for (const listener of this.listeners) listener(previous, next);
  }
}
