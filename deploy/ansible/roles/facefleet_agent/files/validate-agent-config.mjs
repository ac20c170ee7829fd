// Validates an agent.json with the agent's own schema (agent/config.ts) of a given release, as install.sh does.
//   node validate-agent-config.mjs <release>/app/dist/agent/config.js FILE
// Used by the facefleet_agent role's template validate=; prints only the error (never the file, it holds a password).
import { readFileSync } from "node:fs";

const [configModule, file] = process.argv.slice(2);
const { parseAgentConfig } = await import(configModule);
try {
  parseAgentConfig(JSON.parse(readFileSync(file, "utf8")), "agent.json");
} catch (error) {
  console.error(`agent.json is not valid: ${error.message}`);
  process.exit(1);
}
