// Talking to our own API: JSON in, JSON errors shaped {"detail", "errors": {field: [...]}}.
import { gettext, interpolate, ngettext } from "./i18n.js";

/** What a 429 tells people, in their language: DRF's own words are English and in seconds
 * ("Request was throttled. Expected available in 2783 seconds."). */
function throttledMessage(retryAfterSeconds) {
  const minutes = Math.max(1, Math.ceil(Number(retryAfterSeconds) / 60) || 1);
  return interpolate(
    ngettext(
      "Too many reports from this connection for now: try again in %(n)s minute.",
      "Too many reports from this connection for now: try again in %(n)s minutes.",
      minutes,
    ),
    { n: minutes },
  );
}

/** An API answer that was not a success, with the server's message for people. */
export class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    super(status === 429 ? throttledMessage(retryAfter) : (body && body.detail) || `HTTP ${status}`);
    this.status = status;
    this.body = status === 429 ? {} : body || {};
  }

  /** Every field message as "field: message" lines (the first one is in `message`). */
  fieldMessages() {
    const errors = this.body.errors || {};
    return Object.entries(errors).flatMap(([field, messages]) =>
      (Array.isArray(messages) ? messages : [messages]).map((message) =>
        typeof message === "string" ? `${field}: ${message}` : `${field}: ${JSON.stringify(message)}`,
      ),
    );
  }
}

async function parseBody(response) {
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }
  return null;
}

export async function getJSON(url, { signal } = {}) {
  const response = await fetch(url, {
    signal,
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  const body = await parseBody(response);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** POST a FormData (multipart, for photos) to the API; resolves to the JSON answer. */
export async function postForm(url, formData) {
  const response = await fetch(url, {
    method: "POST",
    body: formData,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  });
  const body = await parseBody(response);
  if (!response.ok) throw new ApiError(response.status, body, response.headers.get("Retry-After"));
  return body;
}

/** A URL on our origin with query parameters (empty values left out). */
export function withParams(path, params) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== "" && value !== null && value !== undefined) url.searchParams.set(key, value);
  }
  return url.pathname + url.search;
}
