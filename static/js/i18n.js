// Django's JavaScript catalog (/jsi18n/) defines gettext and friends on window before the
// modules run. These wrappers keep the call names xgettext looks for (gettext, ngettext),
// so `manage.py makemessages -d djangojs` finds every string.
const catalog = window;

export function gettext(text) {
  return catalog.gettext ? catalog.gettext(text) : text;
}

export function ngettext(singular, plural, count) {
  if (catalog.ngettext) return catalog.ngettext(singular, plural, count);
  return count === 1 ? singular : plural;
}

/** Fill %(name)s placeholders from an object: "%(n)s m" with {n: 3} gives "3 m". */
export function interpolate(text, values) {
  return text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name] ?? ""));
}

/** Numbers in the page's language (1 234,5 in French, 1,234.5 in English). */
export function formatNumber(value, fractionDigits = 0) {
  return new Intl.NumberFormat(document.documentElement.lang || undefined, {
    maximumFractionDigits: fractionDigits,
    minimumFractionDigits: 0,
  }).format(value);
}

export function formatDate(isoText) {
  if (!isoText) return "";
  const date = new Date(isoText);
  if (Number.isNaN(date.getTime())) return isoText;
  return new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
    dateStyle: "medium",
  }).format(date);
}
