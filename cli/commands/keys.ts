import { createAtRestKeyFile, readAtRestKeyFile } from "../../core/at-rest-key.js";
import { UsageError } from "../../core/errors.js";
import type { Command } from "../main.js";
import { parseOptions } from "../parse-options.js";

const help = `usage: facefleet keys create FILE
       facefleet keys id FILE

The key that encrypts the coordinator's biometric files at rest (the kept faces: embeddings and crops; the
unknown-person crops) with AES-256-GCM, when its config names it: "encryptAtRest": {"keyFile": FILE}, or
{"keyEnv": NAME} with the key file's line in that environment variable (README, "Encryption at rest").

  create   write a new random 256-bit key to FILE (mode 600) and print its id; an existing FILE is never
           overwritten. Keep a copy somewhere safe: without it the encrypted faces cannot be read.
  id       print the id of the key in FILE (each encrypted file's header names the id of its key)

options:
  -h, --help   this text`;

export const keysCommand: Command = {
  summary: "create the key that encrypts faces and crops at rest (encryptAtRest), or show a key's id",
  async run(args) {
    const { values, positionals } = parseOptions(args, { help: { type: "boolean", short: "h" } });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const [action, file, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}' (see facefleet keys --help)`);
    if (action !== "create" && action !== "id")
      throw new UsageError(`${action === undefined ? "name an action" : `unknown action '${action}'`}: create or id`);
    if (file === undefined) throw new UsageError(`keys ${action}: name the key FILE`);
    if (action === "create") {
      const key = await createAtRestKeyFile(file);
      process.stdout.write(`${key.id}\n`);
      process.stderr.write(
        `keys: key ${key.id} written to ${file} (mode 600); keep a copy: faces encrypted with it cannot be read without it\n`,
      );
      return 0;
    }
    process.stdout.write(`${(await readAtRestKeyFile(file)).id}\n`);
    return 0;
  },
};
