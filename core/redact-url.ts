/**
 * A URL as log lines and error messages may show it: the password of its user info replaced by `***`
 * (`mqtt://pi:s3cret@host:1883` → `mqtt://pi:***@host:1883`, `rtsp://cam:pw@10.0.0.9/stream` likewise). Brokers and
 * cameras take credentials in the URL; a log line must never carry them (test/security/no-secret-in-logs.test.ts).
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, "$1:***@");
}

/** `text` with every occurrence of `url` shown redacted (e.g. ffmpeg's or a client's error message naming it). */
export function redactUrlIn(text: string, url: string): string {
  const redacted = redactUrl(url);
  return redacted === url ? text : text.replaceAll(url, redacted);
}
