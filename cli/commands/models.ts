import { delimiter } from "node:path";
import { UsageError } from "../../core/errors.js";
import { fetchModel } from "../../models/fetch-model.js";
import { loadManifest } from "../../models/manifest.js";
import { modelDirs, modelFetchDir } from "../../models/model-dirs.js";
import { findModelFile, sha256File } from "../../models/verify-file.js";
import type { Command } from "../main.js";
import { parseOptions } from "../parse-options.js";

const help = `usage: facefleet models list | verify | fetch [ID...] [--models DIR[:DIR]]

  list     every model in models/manifest.json and where its file is
  verify   check the sha256 of every model file found; exit 1 on a mismatch
  fetch    download the given models (default: every downloadable model that is missing) into the first
           directory of --models or $FACEFLEET_MODELS, else ~/.local/share/facefleet/models ($XDG_DATA_HOME),
           sha256-checked, resumable; built models name the command that builds them

Model directories searched (first hit wins): --models, else $FACEFLEET_MODELS, else a checkout's .facefleet/models
and ../shared/models ($FACEFLEET_SHARED/models), then ~/.local/share/facefleet/models.`;

export const modelsCommand: Command = {
  summary: "list, verify and fetch model files",
  async run(args) {
    const { values, positionals } = parseOptions(args, { models: { type: "string" }, help: { type: "boolean" } });
    const [action, ...ids] = positionals;
    if (values.help || action === undefined) {
      process.stdout.write(`${help}\n`);
      return values.help ? 0 : 2;
    }
    const manifest = loadManifest();
    const configured = values.models?.split(delimiter).filter(Boolean);
    const dirs = modelDirs(configured);
    for (const id of ids) if (!manifest.models[id]) throw new UsageError(`unknown model '${id}'`);
    const entries = Object.entries(manifest.models)
      .filter(([id]) => ids.length === 0 || ids.includes(id))
      .map(([id, entry]) => ({ ...entry, id }));
    if (action === "list") {
      for (const e of entries) {
        const path = findModelFile(e, dirs);
        process.stdout.write(
          `${e.id.padEnd(28)} ${e.role.padEnd(10)} ${e.precision.padEnd(5)} ${path ?? `missing (${e.source.kind === "download" ? "facefleet models fetch" : e.source.command})`}\n`,
        );
      }
      return 0;
    }
    if (action === "verify") {
      let bad = 0;
      let found = 0;
      for (const e of entries) {
        const path = findModelFile(e, dirs);
        if (!path) continue;
        found++;
        const actual = await sha256File(path);
        const ok = actual === e.sha256;
        if (!ok) bad++;
        process.stdout.write(`${ok ? "ok      " : "MISMATCH"} ${e.id} ${path}${ok ? "" : ` (sha256 ${actual}, expected ${e.sha256})`}\n`);
      }
      process.stdout.write(`${found} model file(s) checked, ${bad} mismatch(es), ${entries.length - found} not present\n`);
      return bad > 0 ? 1 : 0;
    }
    if (action === "fetch") {
      const dir = modelFetchDir(configured);
      let failed = 0;
      for (const e of entries) {
        if (ids.length === 0 && (e.source.kind !== "download" || findModelFile(e, dirs))) continue;
        try {
          let lastPercent = -1;
          const path = await fetchModel(e, dir, (received, total) => {
            const percent = total ? Math.floor((100 * received) / total) : 0;
            if (percent >= lastPercent + 10) {
              lastPercent = percent;
              process.stderr.write(`${e.file}: ${percent}%\n`);
            }
          });
          process.stdout.write(`fetched ${e.id} -> ${path} (sha256 ok)\n`);
        } catch (error) {
          failed++;
          process.stderr.write(`facefleet models fetch: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
      return failed > 0 ? 1 : 0;
    }
    throw new UsageError(`unknown action '${action}' (list, verify or fetch)`);
  },
};
