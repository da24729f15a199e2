// The page's configuration, rendered by mapping.views.map_config as JSON in #map-config.
export const config = JSON.parse(document.getElementById("map-config").textContent);

/** The label of a filter or attribute value in the visitor's language, or the value itself. */
export function choiceLabel(group, value) {
  const found = (config.choices[group] || []).find((choice) => choice.value === value);
  return found ? found.label : value;
}
