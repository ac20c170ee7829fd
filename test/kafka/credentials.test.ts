/** kafka.credentials (kafka/credentials.ts): what a credentials file fills in, and what the config keeps. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { loadKafkaConfig } from "../../cli/kafka-config-options.js";
import { kafkaConnectionSchema } from "../../kafka/connection-config.js";
import { withKafkaCredentials } from "../../kafka/credentials.js";

test("a credentials file fills ssl and sasl, its paths relative to itself; the config's own fields win", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-credentials-"));
  try {
    const file = path.join(dir, "credentials.json");
    const sasl = { mechanism: "scram-sha-512", username: "facefleet", password: "0123456789abcdef0123" } as const;
    writeFileSync(file, JSON.stringify({ ssl: { ca: "tls/ca.pem" }, sasl }));
    const filled = withKafkaCredentials(kafkaConnectionSchema.parse({ brokers: ["h:9093"], credentials: file }));
    assert.deepEqual(filled.ssl, { ca: path.join(dir, "tls", "ca.pem"), rejectUnauthorized: true });
    assert.deepEqual(filled.sasl, sasl);
    assert.deepEqual(filled.brokers, ["h:9093"]);
    const own = { mechanism: "plain", username: "me", password: "mine-0123456789" } as const;
    const kept = withKafkaCredentials(kafkaConnectionSchema.parse({ credentials: file, ssl: true, sasl: own }));
    assert.equal(kept.ssl, true);
    assert.deepEqual(kept.sasl, own);
    // --kafka-credentials on the command line, no config file.
    const cli = loadKafkaConfig({ "kafka-credentials": file, brokers: "127.0.0.1:32100" });
    assert.deepEqual(cli.connection.sasl, sasl);
    assert.deepEqual(cli.connection.brokers, ["127.0.0.1:32100"]);
    // A field of the file that is wrong is named.
    writeFileSync(file, JSON.stringify({ sasl: { ...sasl, username: "" } }));
    assert.throws(() => loadKafkaConfig({ "kafka-credentials": file }), /kafka\.credentials .*: sasl\.username: /);
    writeFileSync(file, JSON.stringify({ sasl, extra: 1 }));
    assert.throws(() => loadKafkaConfig({ "kafka-credentials": file }), /kafka\.credentials .*extra/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
