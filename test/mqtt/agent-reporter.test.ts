/** The agent's health reporter and command listener against the coordinator's embedded broker. */
import { after, test } from "node:test";
import { startEmbeddedBroker } from "../../coordinator/mqtt/embedded-broker.js";
import { tempDir } from "./mqtt-helpers.js";
import { reporterScenario } from "./reporter-scenario.js";

const state = tempDir("facefleet-mqtt-agent-");
after(() => state.remove());

test("embedded broker: online, valid health, command acks, last will, clean offline", async () => {
  const auth = { username: "facefleet", password: "agent-test-secret" };
  const broker = await startEmbeddedBroker({ port: 18834, stateDir: state.dir, ...auth, log: () => {} });
  try {
    await reporterScenario(broker.url, auth, "pi-embedded");
  } finally {
    await broker.close();
  }
});
