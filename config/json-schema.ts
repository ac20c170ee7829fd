import { z } from "zod";
import { agentConfigSchema } from "../agent/config.js";
import { coordinatorConfigSchema } from "../coordinator/config.js";

/**
 * The JSON Schemas of the config files, made from the zod schemas the agent and the coordinator validate with
 * (z.toJSONSchema, the input side: a field with a default is optional). They are committed under
 * config/schema/ (`npm run config:schema` writes them; test/config/json-schema.test.ts checks they are current)
 * for editors (`"$schema": ".../agent.schema.json"`, or yaml-language-server's `# yaml-language-server: $schema=`)
 * and for anything outside Node that checks a file before it is deployed. What cannot be said in JSON Schema
 * (the agent needs a role; a camera listed twice; worker.maxWaitMs at most half the session timeout) is checked
 * by the zod schema only: `facefleet config check` on the device is the full check.
 */
export const configSchemaFiles = {
  "agent.schema.json": { schema: agentConfigSchema, title: "facefleet agent config (agent/config.ts)" },
  "coordinator.schema.json": { schema: coordinatorConfigSchema, title: "facefleet coordinator config (coordinator/config.ts)" },
} as const;

export type ConfigSchemaFile = keyof typeof configSchemaFiles;

/** The JSON Schema of one config file kind, as an object. */
export function configJsonSchema(file: ConfigSchemaFile): Record<string, unknown> {
  const { schema, title } = configSchemaFiles[file];
  const json = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
  const { $schema, ...rest } = json;
  return { $schema, title, ...rest };
}

/** The text committed under config/schema/ (two-space JSON and a final newline, as biome formats it). */
export function configJsonSchemaText(file: ConfigSchemaFile): string {
  return `${JSON.stringify(configJsonSchema(file), null, 2)}\n`;
}
