/**
 * A URL as log lines and error messages may show it: the password of its user info replaced by `***`
 * (`mqtt://pi:s3cret@host:1883` → `mqtt://pi:***@host:1883`, `rtsp://cam:pw@10.0.0.9/stream` likewise). Brokers and
 * cameras take credentials in the URL; a log line must never carry them (test/security/no-secret-in-logs.test.ts).
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return url;
  const rest = url.slice(scheme.length);
  // The authority ends at the path, query or fragment; its user info at its last '@' (a raw '@' in a password too).
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const at = authority.lastIndexOf("@");
  const colon = authority.indexOf(":");
  if (at < 0 || colon < 0 || colon > at) return url;
  return `${scheme}${authority.slice(0, colon)}:***${rest.slice(at)}`;
}

/** `text` with every occurrence of `url` shown redacted (e.g. ffmpeg's or a client's error message naming it). */
export function redactUrlIn(text: string, url: string): string {
  const redacted = redactUrl(url);
  return redacted === url ? text : text.replaceAll(url, redacted);
}
