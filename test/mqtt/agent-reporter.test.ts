/** The agent's health reporter and command listener against the coordinator's embedded broker. */
import { after, test } from "node:test";
import { issueAgentCredential } from "../../coordinator/mqtt/agent-credentials.js";
import { startEmbeddedBroker } from "../../coordinator/mqtt/embedded-broker.js";
import { tempDir } from "./mqtt-helpers.js";
import { reporterScenario } from "./reporter-scenario.js";

const state = tempDir("facefleet-mqtt-agent-");
after(() => state.remove());

test("embedded broker: online, valid health, command acks, last will, clean offline", async () => {
  const auth = { username: "facefleet", password: "agent-test-secret" };
  const broker = await startEmbeddedBroker({ port: 18834, stateDir: state.dir, ...auth, log: () => {} });
  try {
    await reporterScenario(broker.url, auth, "pi-embedded", broker.coordinator);
  } finally {
    await broker.close();
  }
});

test("embedded broker, the agent on its own credential: the same, the coordinator reads it all", async () => {
  const dir = `${state.dir}/own`;
  const password = await issueAgentCredential(dir, "pi-own");
  const broker = await startEmbeddedBroker({ port: 24010, stateDir: dir, sharedCredential: "off", log: () => {} });
  try {
    await reporterScenario(broker.url, { username: "pi-own", password }, "pi-own", broker.coordinator);
  } finally {
    await broker.close();
  }
});
