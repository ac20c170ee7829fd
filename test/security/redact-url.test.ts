/** core/redact-url.ts: the password of a URL's user info is never shown; everything else is. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { redactUrl, redactUrlIn } from "../../core/redact-url.js";

test("redactUrl hides the password of any scheme's URL and keeps the rest", () => {
  assert.equal(redactUrl("mqtt://pi-kitchen:s3cr3t@10.0.0.5:1883"), "mqtt://pi-kitchen:***@10.0.0.5:1883");
  assert.equal(redactUrl("mqtts://u:p%40ss@broker/x"), "mqtts://u:***@broker/x");
  assert.equal(redactUrl("rtsp://cam:pw@10.0.0.9:554/stream?x=1"), "rtsp://cam:***@10.0.0.9:554/stream?x=1");
  assert.equal(redactUrl("wss://a:b@host/mqtt"), "wss://a:***@host/mqtt");
  assert.equal(redactUrl("mqtt://127.0.0.1:1883"), "mqtt://127.0.0.1:1883", "no user info");
  assert.equal(redactUrl("mqtt://user@host:1883"), "mqtt://user@host:1883", "a user without a password");
  assert.equal(redactUrl("/dev/video0"), "/dev/video0");
  assert.equal(redactUrl("mqtt://u:p@ss:word@host:1883"), "mqtt://u:***@host:1883", "a raw '@', ':' in the password");
  assert.equal(redactUrl("rtsp://cam:pw@10.0.0.9/path@x"), "rtsp://cam:***@10.0.0.9/path@x", "an '@' in the path is not user info");
  assert.equal(redactUrl("mqtt://host:1883/a:b@c"), "mqtt://host:1883/a:b@c");
});

test("redactUrlIn hides the URL wherever a message repeats it", () => {
  const url = "rtsp://cam:pw-9@10.0.0.9/s";
  assert.equal(
    redactUrlIn(`${url}: Connection refused (${url})`, url),
    "rtsp://cam:***@10.0.0.9/s: Connection refused (rtsp://cam:***@10.0.0.9/s)",
  );
  assert.equal(redactUrlIn("no url here", "mqtt://h:1"), "no url here");
});
