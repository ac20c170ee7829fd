/**
 * `npm run config:schema`: writes config/schema/agent.schema.json and coordinator.schema.json from the zod
 * schemas (config/json-schema.ts). Run it after changing agent/config.ts, coordinator/config.ts or a schema
 * they use; test/config/json-schema.test.ts fails while the committed files are not current.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ConfigSchemaFile, configJsonSchemaText, configSchemaFiles } from "./json-schema.js";

// dist/config/export-schema.js -> <repo>/config/schema
const folder = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "config", "schema");
for (const file of Object.keys(configSchemaFiles) as ConfigSchemaFile[]) {
  writeFileSync(join(folder, file), configJsonSchemaText(file));
  process.stdout.write(`config:schema: wrote config/schema/${file}\n`);
}
