/**
 * The same agent-side scenario against Mosquitto from Debian (`apt-get install mosquitto`), started
 * here on a private port with a password file, and stopped at the end.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { startMosquitto, type TestMosquitto } from "../support/mosquitto.js";
import { connectOnce } from "./mqtt-helpers.js";
import { reporterScenario } from "./reporter-scenario.js";

const PORT = 18835;
let broker: TestMosquitto | undefined;

after(async () => {
  await broker?.stop();
});

test("Mosquitto: refuses anonymous; online, valid health, command acks, last will, clean offline", { timeout: 60_000 }, async () => {
  const auth = { username: "agent", password: "mosquitto-test-secret" };
  broker = await startMosquitto(PORT, auth);
  const url = broker.url;
  await assert.rejects(connectOnce(url), (e: Error & { code?: number }) => e.code === 5 || e.code === 4);
  await assert.rejects(
    connectOnce(url, { username: "agent", password: "wrong" }),
    (e: Error & { code?: number }) => e.code === 5 || e.code === 4,
  );
  await reporterScenario(url, auth, "pi-mosquitto");
});
