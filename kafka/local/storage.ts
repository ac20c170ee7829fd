import { existsSync } from "node:fs";
import path from "node:path";
import { FacefleetError } from "../../core/errors.js";
import { runJavaTool } from "./java.js";
import type { LocalKafka } from "./options.js";

/** meta.properties exists once kafka.tools.StorageTool has formatted the log dirs. */
export function isFormatted(k: LocalKafka): boolean {
  return existsSync(path.join(k.logDirs, "meta.properties"));
}

/**
 * Formats the KRaft storage once: a fresh cluster id (StorageTool random-uuid), then
 * `format -t <id> -c server.properties`. The quorum is static (controller.quorum.voters), so
 * no --standalone is needed (that flag is for the dynamic controller.quorum.bootstrap.servers
 * form). `extraArgs`: --add-scram users of a secure broker (kafka/local/secure.ts). Returns the cluster id, or undefined when the storage was already formatted.
 */
export async function formatStorageOnce(k: LocalKafka, extraArgs: readonly string[] = []): Promise<string | undefined> {
  if (isFormatted(k)) return undefined;
  const out = await runJavaTool(k.jarsDir, k.log4jProperties, ["kafka.tools.StorageTool", "random-uuid"]);
  const clusterId = out.trim().split("\n").at(-1)?.trim() ?? "";
  if (!/^[A-Za-z0-9_-]{22}$/.test(clusterId)) {
    throw new FacefleetError(`kafka.tools.StorageTool random-uuid printed no cluster id (got '${clusterId}')`);
  }
  await runJavaTool(k.jarsDir, k.log4jProperties, [
    "kafka.tools.StorageTool",
    "format",
    "-t",
    clusterId,
    "-c",
    k.serverProperties,
    ...extraArgs,
  ]);
  return clusterId;
}
