/**
 * config/schema/*.schema.json: current with the zod schemas, and a validator outside zod (ajv, JSON Schema
 * 2020-12) judges real config files as the agent and the coordinator do: the shipped examples pass, a wrong
 * field fails at the same path.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { agentConfigSchema } from "../../agent/config.js";
import { type ConfigSchemaFile, configJsonSchemaText, configSchemaFiles } from "../../config/json-schema.js";
import { coordinatorConfigSchema } from "../../coordinator/config.js";
import { repoRoot } from "../../testing/paths.js";

const schemaDir = join(repoRoot, "config", "schema");

test("the committed JSON Schemas are the ones the zod schemas give (npm run config:schema writes them)", () => {
  for (const file of Object.keys(configSchemaFiles) as ConfigSchemaFile[]) {
    const committed = readFileSync(join(schemaDir, file), "utf8");
    assert.equal(committed, configJsonSchemaText(file), `config/schema/${file} is stale: run npm run config:schema`);
  }
});

const ajv = new Ajv2020({ allErrors: false, strict: false });
const agentJson = ajv.compile(JSON.parse(readFileSync(join(schemaDir, "agent.schema.json"), "utf8")));
const coordinatorJson = ajv.compile(JSON.parse(readFileSync(join(schemaDir, "coordinator.schema.json"), "utf8")));

test("the shipped example configs are valid for both the JSON Schema and zod", () => {
  const example = JSON.parse(readFileSync(join(repoRoot, "deploy", "package", "agent.example.json"), "utf8"));
  assert.ok(agentJson(example), JSON.stringify(agentJson.errors));
  assert.ok(agentConfigSchema.safeParse(example).success);
  const hub = {
    $schema: "../config/schema/coordinator.schema.json",
    kafka: { brokers: ["10.0.0.2:9092"] },
    mqtt: { embedded: { host: "0.0.0.0", port: 1883, password: "long-enough-password" } },
    http: { host: "0.0.0.0", port: 8080, password: "dashboard-pass" },
    stateDir: "/var/lib/facefleet/coordinator",
  };
  assert.ok(coordinatorJson(hub), JSON.stringify(coordinatorJson.errors));
  assert.ok(coordinatorConfigSchema.safeParse(hub).success);
  assert.ok(coordinatorJson({}), "every coordinator field has a default");
});

test("a wrong field fails the JSON Schema and zod at the same path", () => {
  const agent = { agentId: "a" };
  const coordinator = {};
  const cases: [
    validate: typeof agentJson,
    zod: typeof agentConfigSchema | typeof coordinatorConfigSchema,
    config: unknown,
    path: string,
  ][] = [
    [agentJson, agentConfigSchema, { ...agent, kafka: { brokers: ["no-port"] } }, "kafka.brokers.0"],
    [agentJson, agentConfigSchema, { ...agent, worker: { maxFrameAgeMs: -1 } }, "worker.maxFrameAgeMs"],
    [
      agentJson,
      agentConfigSchema,
      { ...agent, roles: { capture: [{ camera: "c", source: "/dev/video0", videoSize: "big" }] } },
      "roles.capture.0.videoSize",
    ],
    [agentJson, agentConfigSchema, { ...agent, recognition: { thread: 2 } }, "recognition"],
    [agentJson, agentConfigSchema, { agentId: "has space" }, "agentId"],
    [coordinatorJson, coordinatorConfigSchema, { ...coordinator, mqtt: { embedded: { port: 99_999 } } }, "mqtt"],
    [coordinatorJson, coordinatorConfigSchema, { ...coordinator, mqtt: { embedded: { pasword: "long-enough" } } }, "mqtt"],
    [coordinatorJson, coordinatorConfigSchema, { ...coordinator, http: { token: "short" } }, "http.token"],
  ];
  for (const [validate, zod, config, path] of cases) {
    assert.equal(validate(config), false, `JSON Schema accepts ${JSON.stringify(config)}`);
    const parsed = zod.safeParse(config);
    assert.equal(parsed.success, false, `zod accepts ${JSON.stringify(config)}`);
    const zodPath = parsed.error?.issues[0]?.path.map(String).join(".") ?? "";
    assert.ok(zodPath.startsWith(path), `zod names ${zodPath}, expected ${path}`);
    // ajv's instancePath of the deepest error, as a dotted path
    const ajvPaths = (validate.errors ?? []).map((e) => e.instancePath.slice(1).replaceAll("/", "."));
    assert.ok(
      ajvPaths.some((p) => p === path || p.startsWith(`${path}.`)),
      `JSON Schema names ${ajvPaths.join(", ")}, expected ${path}`,
    );
  }
});
