/**
 * What the dashboard's end-to-end tests share: a real fleet (Kafka from the jars, `facefleet coordinator`
 * with a dashboard password, `facefleet agent` processes — testing/fleet.ts) and a headless Debian
 * Chromium driven by playwright-core, plus screenshots into docs/screenshots/.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestContext } from "node:test";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import sharp from "sharp";
import { partitionsOf } from "../../protocol/plan.js";
import {
  CoordinatorApi,
  type FleetPorts,
  FleetProcess,
  TEST_TOKEN,
  waitForAsync,
  writeAgentConfig,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker, type TestBroker } from "../../testing/kafka-harness.js";
import { repoRoot } from "../../testing/paths.js";

export const DASHBOARD_PASSWORD = "dashboard-e2e-password";

/** Opens the dashboard at `baseUrl` in `page` and logs in with the password; resolves when the tabs show. */
export async function logIn(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByTestId("login-password").fill(DASHBOARD_PASSWORD);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("tab-fleet").waitFor();
}
/**
 * Where screenshots go: docs/screenshots/ (committed, shown in docs/dashboard.md) only when
 * FACEFLEET_SCREENSHOTS=docs names it, so a test run does not rewrite tracked files; else a temp folder.
 */
export const screenshotDir =
  process.env.FACEFLEET_SCREENSHOTS === "docs"
    ? path.join(repoRoot, "docs", "screenshots")
    : path.join(tmpdir(), "facefleet-dashboard-screenshots");
/** Each screenshot must stay under this (they are committed and shown in docs/dashboard.md). */
export const SCREENSHOT_MAX_BYTES = 300 * 1024;
const PALETTE_ABOVE_BYTES = 200 * 1024;

export const VIEWPORTS = {
  desktop: { viewport: { width: 1280, height: 800 }, colorScheme: "light" as const },
  phone: { viewport: { width: 390, height: 844 }, colorScheme: "dark" as const },
};

export interface BrowserFleetOptions {
  kafkaPort: number;
  mqttPort: number;
  httpPort: number;
  partitions: number;
  agentIds: string[];
  /** Agents annotate frames on demand (the live view's watched cameras), as by default. */
  annotated?: boolean;
}

export interface BrowserFleet {
  dir: string;
  broker: TestBroker;
  api: CoordinatorApi;
  baseUrl: string;
  coordinator: FleetProcess;
  agents: Map<string, FleetProcess>;
  browser: Browser;
  /** Polls `predicate` until true; on timeout the error carries the processes' last lines. */
  check(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void>;
  /** Each agent's health lists exactly the partitions the plan gives it. */
  fleetFollowsPlan(ids: string[]): Promise<boolean>;
  /** A logged-out browser context (`phone` = 390×844 dark, `desktop` = 1280×800 light) with page errors collected. */
  newPage(kind: keyof typeof VIEWPORTS): Promise<{ context: BrowserContext; page: Page; problems: string[] }>;
  /** Everything the processes printed last, for a failure message. */
  dump(): string;
  /** Runs `stop` (last registered first) before the browser, the processes and the broker are stopped. */
  cleanup(stop: () => Promise<unknown>): void;
  /** Call at the end of a passing test: the processes' output is then not printed. */
  passed(): void;
}

/**
 * Starts the broker (8 partitions on facefleet.frames, compacted facefleet.plan), the coordinator, the
 * agents (not waited for) and Chromium; everything is stopped in `t.after`.
 */
export async function startBrowserFleet(t: TestContext, options: BrowserFleetOptions): Promise<BrowserFleet> {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-dashboard-"));
  const processes: FleetProcess[] = [];
  let browser: Browser | undefined;
  let broker: TestBroker | undefined;
  let failed = true;
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    if (failed) process.stderr.write(`${processes.map((p) => p.dump(80)).join("\n")}\n`);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop(5000)));
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  broker = await startBroker(options.kafkaPort);
  await createTopics(broker.kafka, options.partitions);
  await createPlanTopic(broker.kafka);

  const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: options.mqttPort, httpPort: options.httpPort };
  const coordinatorConfig = writeCoordinatorConfig(dir, ports, {
    http: {
      host: "127.0.0.1",
      port: options.httpPort,
      token: TEST_TOKEN,
      password: DASHBOARD_PASSWORD,
      staticDir: path.join(repoRoot, "dashboard", "dist"),
    },
  });
  const coordinator = new FleetProcess("coordinator", ["coordinator", "--config", coordinatorConfig]);
  processes.push(coordinator);
  const agents = new Map<string, FleetProcess>();
  for (const id of options.agentIds) {
    const file = writeAgentConfig(dir, id, ports);
    if (options.annotated) {
      // The live view shows facefleet.annotated: the agents annotate the cameras it watches (the test config's
      // `annotated: false` would never).
      const config = JSON.parse(readFileSync(file, "utf8")) as { worker: Record<string, unknown> };
      config.worker.annotated = "on-demand";
      writeFileSync(file, JSON.stringify(config, null, 2));
    }
    const agent = new FleetProcess(id, ["agent", "--config", file]);
    processes.push(agent);
    agents.set(id, agent);
  }
  const api = new CoordinatorApi(`http://127.0.0.1:${options.httpPort}`);
  const dump = () => processes.map((p) => p.dump()).join("\n");
  const check = (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000) =>
    waitForAsync(what, predicate, timeoutMs).catch((error) => {
      throw new Error(`${(error as Error).message}\n${dump()}`);
    });

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  const launched = browser;
  await check("the coordinator's API", () => api.reachable(), 60_000);

  return {
    dir,
    broker,
    api,
    baseUrl: api.baseUrl,
    coordinator,
    agents,
    browser: launched,
    check,
    dump,
    async fleetFollowsPlan(ids) {
      const [view, list] = await Promise.all([api.plan(), api.agents()]);
      const plan = view.plan;
      if (!plan) return false;
      return ids.every((id) => {
        const agent = list.find((a) => a.id === id);
        const held = (agent?.health?.partitions ?? []).map((p) => p.partition).sort((a, b) => a - b);
        return agent?.online === true && held.join(",") === partitionsOf(plan, id).join(",");
      });
    },
    async newPage(kind) {
      const { viewport, colorScheme } = VIEWPORTS[kind];
      const context = await launched.newContext({ viewport, colorScheme, deviceScaleFactor: 1 });
      context.setDefaultTimeout(30_000);
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(`${kind}: ${error.message}`));
      // The coordinator's Content-Security-Policy: anything it blocks is a problem of the page (coordinator/api/server.ts).
      page.on("console", (message) => {
        if (message.type() === "error" && /Content Security Policy/i.test(message.text())) problems.push(`${kind}: ${message.text()}`);
      });
      return { context, page, problems };
    },
    cleanup(stop) {
      cleanups.push(stop);
    },
    passed() {
      failed = false;
    },
  };
}

/** Takes a viewport screenshot into <screenshotDir>/<name>.png and returns its size in bytes. */
export async function screenshot(page: Page, name: string): Promise<number> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  // The page in front (timers of background pages are throttled), transitions and the "x s ago" text settled.
  await page.bringToFront();
  await page.waitForTimeout(1100);
  const png = await page.screenshot({ animations: "disabled", caret: "hide" });
  // Camera frames make big PNGs: those are stored with a 256-colour palette instead.
  writeFileSync(
    file,
    png.length > PALETTE_ABOVE_BYTES ? await sharp(png).png({ palette: true, colours: 256, effort: 10 }).toBuffer() : png,
  );
  return statSync(file).size;
}

export { waitForAsync };
