import { pbkdf2Sync } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCameraShorthand } from "../../agent/capture/camera-shorthand.js";
import { agentIdSchema, parseAgentConfig } from "../../agent/config.js";
import { writeFileAtomicSync } from "../../core/atomic-write.js";
import {
  ConfigSyntaxError,
  configFormatOf,
  loadYamlParser,
  NoYamlParserError,
  parseConfigText as parseText,
  type YamlParse,
} from "../../core/config-file.js";
import { describeError, FacefleetError } from "../../core/errors.js";
import { isScriptEntry } from "../../core/run-as-script.js";
import { parseBrokerList } from "../../kafka/connection-config.js";

/**
 * The SD-card image's first-boot configuration: `facefleet.yaml` (or `facefleet.json`) on the FAT boot
 * partition -> the agent config, host name, Wi-Fi and SSH files of this device. One image serves a whole
 * fleet: the operator edits the one file on the card (or flashes the same file to every card and lets
 * each device name itself from its serial number).
 *
 * Run on the device by facefleet-first-boot.service (deploy/image/rootfs/usr/local/sbin/facefleet-first-boot):
 *
 *   node /opt/facefleet/current/app/dist/deploy/image/first-boot-config.js --boot /boot/firmware --root /
 *
 * facefleet.yaml (every section but kafka optional; see deploy/image/facefleet.yaml):
 *
 *   agent:
 *     id: serial            # a fixed id, or serial (the board's serial number; machine-id where there is none)
 *     idPrefix: pi-         # put before a serial-derived id
 *     cameras: [{ camera: door, source: /dev/video0, fps: 10, videoSize: 640x480 }]   # or ["/dev/video0", "door=/dev/video2"]
 *     inference: true
 *     config: {}            # any other agent.json fields (agent/config.ts), laid under the ones above
 *   kafka: { brokers: [hub.local:9092], ssl: false, sasl: { mechanism, username, password } }
 *   coordinator: { mqtt: { url: mqtt://hub.local:1883, username: facefleet, password: … } }
 *   wifi: { country: DE, ssid: …, password: …, hidden: false }
 *   ssh: { user: admin, authorizedKeys: ["ssh-ed25519 AAAA… you@laptop"] }
 *   hostname: …             # default: the agent id
 *   hosts: { hub.local: 192.168.1.10 }   # /etc/hosts lines, for a site without DNS
 *
 * Errors are one line naming the field (`facefleet.yaml: kafka.brokers: …`); nothing is written then. What this
 * shares with deploy/env-config.ts: the agent's schema and its error line (core/config-loader.ts), the text parser
 * (core/config-file.ts), the camera shorthand (agent/capture/camera-shorthand.ts), the broker list
 * (kafka/connection-config.ts) and the atomic write (core/atomic-write.ts).
 */

export type DeviceIdentity = {
  /** /proc/cpuinfo `Serial`, or /sys/firmware/devicetree/base/serial-number (a Raspberry Pi's). */
  serial?: string;
  /** /etc/machine-id (every systemd machine; generated at first boot). */
  machineId?: string;
};

/** A file the first boot writes, relative to the root it is given. */
export type OutputFile = { path: string; content: string; mode: number };

export type FirstBootPlan = {
  agentId: string;
  hostname: string;
  files: OutputFile[];
  /** Whether wpa_supplicant@wlan0 should be enabled. */
  wifi: boolean;
  /** The login user whose authorized_keys were written (the shell wrapper chowns them). */
  sshUser?: string;
  summary: string;
};

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class FieldError extends FacefleetError {}

function fail(origin: string, field: string, problem: string): never {
  throw new FieldError(`${origin}: ${field}: ${problem}`);
}

/** Only the keys listed are allowed in a section: a typo is an error, not a silently ignored setting. */
function section(origin: string, root: Obj, name: string, keys: string[]): Obj | undefined {
  const value = root[name];
  if (value === undefined || value === null) return undefined;
  if (!isObj(value)) fail(origin, name, "must be a mapping");
  for (const key of Object.keys(value))
    if (!keys.includes(key)) fail(origin, `${name}.${key}`, `unknown setting (allowed: ${keys.join(", ")})`);
  return value;
}

function str(origin: string, obj: Obj | undefined, field: string, key: string): string | undefined {
  const v = obj?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return String(v);
  if (typeof v !== "string" || v.trim() === "") fail(origin, field, "must be a non-empty string");
  return v.trim();
}

/** The board serial: lower-case hex, leading zeros dropped (`00000000abcd1234` -> `abcd1234`). */
export function normaliseSerial(raw: string | undefined): string | undefined {
  const s = raw?.replace(/\0/g, "").trim().toLowerCase();
  if (!s || !/^[0-9a-f]+$/.test(s)) return undefined;
  const stripped = s.replace(/^0+/, "");
  return stripped === "" ? undefined : stripped;
}

/** The agent id from `agent.id`: a fixed id, or `serial` (board serial, else the first 12 of machine-id). */
export function deriveAgentId(spec: string, prefix: string, device: DeviceIdentity, origin = "facefleet.yaml"): string {
  let id: string;
  if (spec.toLowerCase() === "serial") {
    const serial = normaliseSerial(device.serial);
    const machine = device.machineId?.trim().toLowerCase();
    if (serial) id = `${prefix}${serial}`;
    else if (machine && /^[0-9a-f]{12,}$/.test(machine)) id = `${prefix}${machine.slice(0, 12)}`;
    else fail(origin, "agent.id", "'serial' but this device has no serial number and no /etc/machine-id");
  } else {
    id = `${prefix}${spec}`;
  }
  const checked = agentIdSchema.safeParse(id);
  if (!checked.success) fail(origin, "agent.id", `'${id}' ${checked.error.issues[0]?.message ?? "is not a valid agent id"}`);
  return id;
}

/** wpa_supplicant's PSK: PBKDF2-HMAC-SHA1(passphrase, ssid, 4096, 32 bytes), as wpa_passphrase writes it. */
export function wpaPsk(ssid: string, passphrase: string): string {
  return pbkdf2Sync(passphrase, ssid, 4096, 32, "sha1").toString("hex");
}

function wpaQuote(origin: string, field: string, s: string): string {
  if (/["\n\r\\]/.test(s)) fail(origin, field, "must not contain quotes, backslashes or line breaks");
  return `"${s}"`;
}

const SSH_KEY_RE =
  /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

function cameras(origin: string, value: unknown, agentId: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(origin, "agent.cameras", "must be a list");
  return value.map((cam, i) => {
    if (typeof cam === "string") return parseCameraShorthand(cam, agentId);
    if (!isObj(cam)) fail(origin, `agent.cameras[${i}]`, "must be a device path / URL or a mapping");
    return { ...cam };
  });
}

/** Maps a schema path of the agent config back to where it came from in facefleet.yaml. */
const fieldOrigins: [string, string][] = [
  ["agentId", "agent.id"],
  ["kafka", "kafka"],
  ["mqtt", "coordinator.mqtt"],
  ["roles.capture", "agent.cameras"],
  ["roles", "agent.inference / agent.cameras"],
];

function yamlField(path: string): string {
  const hit = fieldOrigins.find(([p]) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
  if (!hit) return `agent.config.${path}`;
  const [prefix, field] = hit;
  if (prefix === "roles.capture") return `${field}${path.slice(prefix.length)}`;
  if (prefix === "kafka" || prefix === "mqtt") return `${field}${path.slice(prefix.length)}`;
  return field;
}

/**
 * facefleet.yaml (already parsed) + this device -> every file the first boot writes. Pure: the tests
 * call it with made-up devices. Throws a FacefleetError of one line naming the field.
 */
export function planFirstBoot(input: unknown, device: DeviceIdentity, origin = "facefleet.yaml"): FirstBootPlan {
  if (!isObj(input)) fail(origin, "(top)", "must be a mapping with at least a kafka section");
  for (const key of Object.keys(input))
    if (!["agent", "kafka", "coordinator", "wifi", "ssh", "hostname", "hosts"].includes(key))
      fail(origin, key, "unknown section (agent, kafka, coordinator, wifi, ssh, hostname, hosts)");

  // ---- agent ----
  const agent = section(origin, input, "agent", ["id", "idPrefix", "cameras", "inference", "config"]);
  const idSpec = str(origin, agent, "agent.id", "id") ?? "serial";
  const prefix = str(origin, agent, "agent.idPrefix", "idPrefix") ?? "";
  const agentId = deriveAgentId(idSpec, prefix, device, origin);
  const base = agent?.config;
  if (base !== undefined && !isObj(base)) fail(origin, "agent.config", "must be a mapping of agent.json fields");
  const config: Obj = { ...(base ?? {}), agentId };
  const roles: Obj = isObj(config.roles) ? { ...config.roles } : {};
  if (agent?.cameras !== undefined) roles.capture = cameras(origin, agent.cameras, agentId);
  if (agent?.inference !== undefined) {
    if (typeof agent.inference !== "boolean") fail(origin, "agent.inference", "must be true or false");
    roles.inference = agent.inference;
  }
  if (Object.keys(roles).length > 0) config.roles = roles;
  if (config.capture === undefined) config.capture = { stateDir: "/var/lib/facefleet/capture" };

  // ---- kafka ----
  const kafka = section(origin, input, "kafka", ["brokers", "ssl", "sasl", "clientId"]);
  if (!kafka) fail(origin, "kafka", "missing: the Kafka brokers the agent talks to (kafka.brokers: [host:9092])");
  const brokers = kafka.brokers;
  const brokerList = typeof brokers === "string" ? parseBrokerList(brokers) : brokers;
  if (!Array.isArray(brokerList) || brokerList.length === 0) fail(origin, "kafka.brokers", "must list at least one host:port");
  config.kafka = { ...(isObj(config.kafka) ? config.kafka : {}), ...kafka, brokers: brokerList };

  // ---- coordinator (MQTT) ----
  const coordinator = section(origin, input, "coordinator", ["mqtt"]);
  if (coordinator?.mqtt !== undefined) {
    if (!isObj(coordinator.mqtt)) fail(origin, "coordinator.mqtt", "must be a mapping (url, username, password)");
    config.mqtt = { ...(isObj(config.mqtt) ? config.mqtt : {}), ...coordinator.mqtt };
  }

  parseAgentConfig(config, { origin, renamePath: yamlField });

  const files: OutputFile[] = [{ path: "etc/facefleet/agent.json", content: `${JSON.stringify(config, null, 2)}\n`, mode: 0o640 }];

  // ---- host name ----
  const hostname = (str(origin, input, "hostname", "hostname") ?? agentId).toLowerCase().replace(/[._]/g, "-");
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(hostname)) fail(origin, "hostname", `'${hostname}' is not a valid host name`);
  const hostsSection = input.hosts;
  let extraHosts = "";
  if (hostsSection !== undefined && hostsSection !== null) {
    if (!isObj(hostsSection)) fail(origin, "hosts", "must map host names to addresses");
    for (const [name, addr] of Object.entries(hostsSection)) {
      if (typeof addr !== "string" || !/^[0-9a-fA-F:.]+$/.test(addr)) fail(origin, `hosts.${name}`, "must be an IP address");
      if (!/^[A-Za-z0-9.-]+$/.test(name)) fail(origin, `hosts.${name}`, "is not a valid host name");
      extraHosts += `${addr}\t${name}\n`;
    }
  }
  files.push({ path: "etc/hostname", content: `${hostname}\n`, mode: 0o644 });
  files.push({
    path: "etc/hosts",
    content: `127.0.0.1\tlocalhost\n127.0.1.1\t${hostname}\n::1\t\tlocalhost ip6-localhost ip6-loopback\n${extraHosts}`,
    mode: 0o644,
  });

  // ---- Wi-Fi ----
  const wifi = section(origin, input, "wifi", ["country", "ssid", "password", "hidden"]);
  if (wifi) {
    const ssid = str(origin, wifi, "wifi.ssid", "ssid") ?? fail(origin, "wifi.ssid", "missing");
    const country = (
      str(origin, wifi, "wifi.country", "country") ??
      fail(origin, "wifi.country", "missing (two letters, e.g. DE or US: the radio's legal channels)")
    ).toUpperCase();
    if (!/^[A-Z]{2}$/.test(country)) fail(origin, "wifi.country", `'${country}' must be a two-letter country code`);
    const password = wifi.password === undefined || wifi.password === null ? undefined : String(wifi.password);
    if (password !== undefined && (password.length < 8 || password.length > 63))
      fail(origin, "wifi.password", "must be 8-63 characters (WPA2 passphrase)");
    if (wifi.hidden !== undefined && typeof wifi.hidden !== "boolean") fail(origin, "wifi.hidden", "must be true or false");
    const lines = [
      "# written by facefleet-first-boot from facefleet.yaml",
      "ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev",
      "update_config=0",
      `country=${country}`,
      "",
      "network={",
      `\tssid=${wpaQuote(origin, "wifi.ssid", ssid)}`,
      ...(wifi.hidden === true ? ["\tscan_ssid=1"] : []),
      ...(password !== undefined ? [`\tpsk=${wpaPsk(ssid, password)}`, "\tkey_mgmt=WPA-PSK"] : ["\tkey_mgmt=NONE"]),
      "}",
      "",
    ];
    files.push({ path: "etc/wpa_supplicant/wpa_supplicant-wlan0.conf", content: lines.join("\n"), mode: 0o600 });
  }

  // ---- SSH ----
  const ssh = section(origin, input, "ssh", ["user", "authorizedKeys"]);
  let sshUser: string | undefined;
  if (ssh) {
    sshUser = str(origin, ssh, "ssh.user", "user") ?? "admin";
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(sshUser)) fail(origin, "ssh.user", `'${sshUser}' is not a valid user name`);
    const keys = typeof ssh.authorizedKeys === "string" ? [ssh.authorizedKeys] : ssh.authorizedKeys;
    if (!Array.isArray(keys) || keys.length === 0) fail(origin, "ssh.authorizedKeys", "must list at least one public key");
    keys.forEach((k, i) => {
      if (typeof k !== "string" || !SSH_KEY_RE.test(k.trim()))
        fail(origin, `ssh.authorizedKeys[${i}]`, "is not an OpenSSH public key (ssh-ed25519 AAAA… comment)");
    });
    const home = sshUser === "root" ? "root" : `home/${sshUser}`;
    files.push({ path: `${home}/.ssh/authorized_keys`, content: `${keys.map((k) => (k as string).trim()).join("\n")}\n`, mode: 0o600 });
  }

  const mqtt = isObj(config.mqtt) ? String(config.mqtt.url) : "off";
  const summary = `agent ${agentId}, kafka ${(brokerList as string[]).join(",")}, mqtt ${mqtt}, wifi ${wifi ? String(wifi.ssid) : "off"}, ssh ${sshUser ?? "off"}`;
  return { agentId, hostname, files, wifi: wifi !== undefined, ...(sshUser ? { sshUser } : {}), summary };
}

/** Parses facefleet.yaml (with the `yaml` package, when it can be loaded) or facefleet.json. */
export function parseConfigText(text: string, file: string, loadYaml: () => YamlParse | undefined = loadYamlParser): unknown {
  const name = file.split("/").pop() ?? file;
  try {
    return parseText(text, configFormatOf(file), loadYaml);
  } catch (error) {
    if (error instanceof ConfigSyntaxError) throw new FacefleetError(`${name}: not valid ${error.format} (${error.detail})`);
    if (error instanceof NoYamlParserError) throw new FacefleetError(`${name}: ${error.message}: use facefleet.json instead`);
    throw error;
  }
}

function readIf(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** This machine's serial and machine-id, read below `root` (for tests: a fake root). */
export function readDeviceIdentity(root = "/"): DeviceIdentity {
  const cpuinfo = readIf(join(root, "proc/cpuinfo")) ?? "";
  const serial =
    /^Serial\s*:\s*([0-9a-fA-F]+)\s*$/m.exec(cpuinfo)?.[1] ??
    readIf(join(root, "sys/firmware/devicetree/base/serial-number"))?.replace(/\0/g, "").trim();
  const machineId = readIf(join(root, "etc/machine-id"))?.trim();
  return { ...(serial ? { serial } : {}), ...(machineId ? { machineId } : {}) };
}

/** Writes the plan's files below `root`, each a temporary file renamed over FILE; unchanged files are left alone. */
export function writePlan(plan: FirstBootPlan, root: string): string[] {
  const changed: string[] = [];
  for (const f of plan.files) {
    const target = join(root, f.path);
    if (readIf(target) === f.content) continue;
    writeFileAtomicSync(target, f.content, f.mode);
    changed.push(f.path);
  }
  return changed;
}

/**
 * `first-boot-config.js --boot DIR [--root DIR] [--device-root DIR] [--check]`: exit 0, 1 (bad config) or
 * 2 (usage / no config file). Prints one summary line; with --check it writes nothing.
 * Also prints `wifi=yes|no`, `ssh-user=NAME`, `hostname=NAME` lines for the shell wrapper.
 */
export function firstBootMain(argv: string[]): number {
  const opts: Record<string, string> = {};
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--check") check = true;
    else if (["--boot", "--root", "--device-root", "--file"].includes(a) && argv[i + 1] !== undefined)
      opts[a.slice(2)] = argv[++i] as string;
    else {
      process.stderr.write(`first-boot-config: unknown or incomplete option '${a}' (usage: --boot DIR [--root DIR] [--check])\n`);
      return 2;
    }
  }
  const boot = opts.boot ?? "/boot/firmware";
  const file =
    opts.file ?? [join(boot, "facefleet.yaml"), join(boot, "facefleet.yml"), join(boot, "facefleet.json")].find((f) => existsSync(f));
  if (!file) {
    process.stderr.write(`first-boot-config: no facefleet.yaml or facefleet.json in ${boot}\n`);
    return 2;
  }
  try {
    const text = readFileSync(file, "utf8");
    const plan = planFirstBoot(parseConfigText(text, file), readDeviceIdentity(opts["device-root"] ?? "/"), file.split("/").pop());
    if (!check) {
      const changed = writePlan(plan, opts.root ?? "/");
      process.stdout.write(`first-boot-config: ${plan.summary}; ${changed.length ? `wrote ${changed.join(" ")}` : "nothing changed"}\n`);
    } else process.stdout.write(`first-boot-config: ${plan.summary} (checked, nothing written)\n`);
    process.stdout.write(`hostname=${plan.hostname}\nwifi=${plan.wifi ? "yes" : "no"}\nssh-user=${plan.sshUser ?? ""}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`first-boot-config: ${describeError(error)}\n`);
    return 1;
  }
}

if (isScriptEntry(import.meta.url)) {
  process.exitCode = firstBootMain(process.argv.slice(2));
}
