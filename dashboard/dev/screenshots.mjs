// Throwaway: screenshots of the dashboard against dev/mock-server.mjs (must be running), for a look.
//   node dashboard/dev/screenshots.mjs [baseUrl] [outDir]
import { mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";

const base = process.argv[2] ?? "http://127.0.0.1:5180";
const out = process.argv[3] ?? "/tmp/dashboard-shots";
await mkdir(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const problems = [];

for (const scheme of ["light", "dark"]) {
  for (const [size, viewport] of Object.entries(sizes)) {
    const context = await browser.newContext({ viewport, colorScheme: scheme, deviceScaleFactor: 1 });
    const page = await context.newPage();
    page.on("console", (message) => message.type() === "error" && problems.push(`${scheme}/${size}: ${message.text()}`));
    page.on("pageerror", (error) => problems.push(`${scheme}/${size}: ${error.message}`));
    const shot = (name, fullPage = false) => page.screenshot({ path: `${out}/${name}-${size}-${scheme}.png`, fullPage });

    await page.goto(`${base}/`);
    await page.getByTestId("login-submit").waitFor();
    await page.getByTestId("login-password").fill("wrong");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("login-error").waitFor();
    await shot("1-login");
    await page.getByTestId("login-password").fill("mock");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("agent-jetson-nano-01").waitFor();
    await page.waitForTimeout(1200);
    await shot("2-fleet", true);

    await page.getByTestId("tab-board").click();
    await page.getByTestId("partition-3").waitFor();
    await page.getByTestId("menu-3").click();
    await shot("3-board-menu");
    await page.getByTestId("move-3").selectOption("rpi5-kitchen");
    await page.waitForTimeout(200);
    await shot("4-board-pending");
    await page.locator('[data-testid="partition-3"][data-owner="rpi5-kitchen"]').waitFor({ timeout: 5000 });
    await page.getByTestId("menu-0").click();
    await page.getByTestId("move-0").selectOption("rpi5-kitchen");
    await page.getByTestId("toast").waitFor();
    await page.getByTestId("drain-rpi5-kitchen").click();
    await page.getByTestId("confirm").waitFor();
    await shot("5-board-toast-confirm");
    await page.getByTestId("confirm").click();
    await page.getByTestId("undrain-rpi5-kitchen").waitFor({ timeout: 5000 });
    await shot("6-board-drained", true);
    await page.getByTestId("undrain-rpi5-kitchen").click();
    await page.getByTestId("confirm").click();
    await page.getByTestId("drain-rpi5-kitchen").waitFor({ timeout: 5000 });

    await page.getByTestId("tab-events").click();
    await page.waitForTimeout(2500);
    await shot("7-events");
    await page.getByTestId("tab-live").click();
    await page.getByTestId("tile-door").waitFor();
    await page.waitForTimeout(1200);
    await shot("8-live");
    await page.getByTestId("tile-kitchen").locator("button").click();
    await page.waitForTimeout(500);
    await shot("9-live-one");
    await page.getByTestId("tab-people").click();
    await shot("10-people");
    // the stream refused: the "disconnected" banner, data as last seen
    const cut = await context.newPage();
    await cut.routeWebSocket(/\/api\/stream/, (socket) => socket.close());
    await cut.goto(`${base}/#/fleet`);
    await cut.getByTestId("disconnected").waitFor();
    await cut.screenshot({ path: `${out}/11-disconnected-${size}-${scheme}.png` });
    await cut.close();
    await page.getByTestId("logout").click();
    await page.getByTestId("login-submit").waitFor();
    await context.close();
  }
}
await browser.close();
console.log(problems.length ? `page problems:\n${problems.join("\n")}` : "no page errors");
