// The skip link, the first stop of the keyboard: it leads past the header and the map to
// the controls in sight. With the panel open that is the panel. With it closed it is the
// first tool, one Enter from opening any of them. Reopening the panel last used was
// weighed and left out: "Add a camera" and "Plan a route" change what a click on the map
// means, so a link that reopened them would switch a mode on behind the user's back (and
// cover half a phone's map), where a link is expected to move the focus and nothing else.
//
// The link is handled here rather than followed: following it would put "#panel" in the
// address, where the map keeps its view (#map=ZOOM/LAT/LON, main.js). Without the scripts
// the template's own href="#tools" still moves the keyboard to the tools.

/**
 * @param link the skip link; its text says where it leads (data-panel-text: with the panel
 *   open, its own text: with it closed)
 * @param panel the Panel (panel.js)
 * @param toolButtons the tool buttons, in their order on the page
 */
export function wireSkipLink(link, panel, toolButtons) {
  const toolsText = link.textContent;
  const toolsHref = link.getAttribute("href");
  const show = (panelOpen) => {
    link.textContent = panelOpen ? link.dataset.panelText : toolsText;
    link.setAttribute("href", panelOpen ? `#${panel.root.id}` : toolsHref);
  };
  panel.onChange((previous, next) => show(next !== null));
  show(panel.current !== null);
  link.addEventListener("click", (event) => {
    event.preventDefault();
    if (panel.current !== null) panel.root.focus({ preventScroll: true });
    else toolButtons[0]?.focus();
  });
}
