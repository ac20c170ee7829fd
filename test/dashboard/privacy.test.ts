/**
 * Forget this person and the audit log in a real headless Chromium against `facefleet coordinator` and Kafka (26290,
 * MQTT 26390, HTTP 26490; events with real embeddings and crops published to facefleet.events as an agent would,
 * test/support/face-events.ts).
 *
 * Tony Blair's unknown faces are named through the API (the token); in the dashboard (a password login) the People
 * tab's "Forget…" asks for a confirmation (Cancel keeps him), then forgets him: the toast counts what was deleted, his
 * row leaves, GET /api/people and the kept faces have nothing of his. The Audit tab lists the naming (api-token) and
 * the forgetting (the session), newest first, with the details in words. Screenshots (1280×800 light, 390×844 dark)
 * into docs/screenshots/ with FACEFLEET_SCREENSHOTS=docs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Partitioners } from "kafkajs";
import type { Page } from "playwright-core";
import type { AuditList } from "../../protocol/api-audit.js";
import { eventId } from "../../protocol/api-events.js";
import type { FaceClusterList } from "../../protocol/api-faces.js";
import type { PeopleList } from "../../protocol/api-people.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { FaceEvents, lfwPictures } from "../support/face-events.js";
import { logIn, SCREENSHOT_MAX_BYTES, screenshot, startBrowserFleet } from "./browser-fleet.js";

useTestModels();

test("dashboard in Chromium: forget a person (confirmed); the audit log tab", { timeout: 600_000 }, async (t) => {
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const make = new FaceEvents(pipeline, Date.now() - 3_600_000);
  const obama = [
    await make.of(exampleImage("obama.jpg"), "cam-hall", "person_seen", "Barack Obama"),
    await make.of(exampleImage("obama2.jpg"), "cam-door", "person_seen", "Barack Obama"),
  ];
  const blair: RecognitionEvent[] = [];
  for (const [i, file] of lfwPictures("Tony_Blair", 5).entries())
    blair.push(await make.of(file, i % 2 ? "cam-hall" : "cam-yard", "unknown_person", "Unknown"));
  const all = [...obama, ...blair];
  const blairIds = new Set(blair.map(eventId));

  const fleet = await startBrowserFleet(t, { kafkaPort: 26290, mqttPort: 26390, httpPort: 26490, partitions: 2, agentIds: [] });
  const { api, check } = fleet;
  const shots: Record<string, number> = {};
  const shot = async (page: Page, name: string) => {
    shots[name] = await screenshot(page, name);
  };
  const clusters = async () => (await api.request("GET", "/api/faces/clusters")).json as FaceClusterList;
  const producer = fleet.broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  fleet.cleanup(() => producer.disconnect());
  await check(
    "the coordinator keeps the events' faces",
    async () => {
      if ((await clusters()).faces === blair.length) return true;
      await producer.send({ topic: topics.events, acks: -1, messages: all.map((e) => ({ key: e.camera, value: JSON.stringify(e) })) });
      return false;
    },
    120_000,
  );
  const group = (await clusters()).clusters.find((c) => c.faces.filter((f) => blairIds.has(f.id)).length >= 3);
  assert.ok(group, "Blair's group");
  const named = await api.request("POST", `/api/faces/clusters/${group.id}/name`, { name: "Tony Blair" });
  assert.equal(named.status, 200);

  const { page, problems } = await fleet.newPage("desktop");
  const phone = await fleet.newPage("phone");
  for (const p of [page, phone.page]) await logIn(p, fleet.baseUrl);

  // --- People: Forget… asks first; Cancel keeps him.
  await page.getByTestId("tab-people").click();
  const row = page.getByTestId("person-Tony Blair");
  await row.waitFor();
  await page.getByTestId("forget-person-Tony Blair").click();
  const dialog = page.getByTestId("confirm-dialog");
  await dialog.getByText("Forget Tony Blair everywhere?").waitFor();
  assert.match((await dialog.textContent()) ?? "", /cannot be undone/);
  await shot(page, "forget-desktop-light");
  await dialog.getByTestId("cancel").click();
  assert.equal(await row.count(), 1, "Cancel keeps him");
  assert.ok(((await api.request("GET", "/api/people")).json as PeopleList).people.some((p) => p.name === "Tony Blair"));

  // Forget, confirmed.
  await page.getByTestId("forget-person-Tony Blair").click();
  await dialog.getByTestId("confirm").click();
  const toast = page.getByTestId("toast").filter({ hasText: "Tony Blair forgotten" });
  await toast.waitFor();
  assert.match((await toast.textContent()) ?? "", new RegExp(`${blair.length} kept faces`));
  await row.waitFor({ state: "detached" });
  assert.ok(!((await api.request("GET", "/api/people")).json as PeopleList).people.some((p) => p.name === "Tony Blair"));
  const search = await api.request("GET", "/api/faces/clusters");
  assert.ok(!(search.json as FaceClusterList).clusters.some((c) => c.faces.some((f) => blairIds.has(f.id))));

  // --- Audit: the forgetting (this session) above the naming (the token).
  await page.getByTestId("tab-audit").click();
  const entries = page.getByTestId("audit-entry");
  await entries.first().waitFor();
  const shown = await entries.evaluateAll((els) =>
    els.map(
      (el) => `${el.getAttribute("data-action")} ${el.getAttribute("data-subject")} ${el.querySelector(".audit-actor")?.textContent}`,
    ),
  );
  assert.equal(shown.length, 2, shown.join("; "));
  assert.match(shown[0] as string, /^person\.forget Tony Blair session [0-9a-f]{8}$/);
  assert.equal(shown[1], `cluster.name ${group.id} api-token`);
  assert.match((await entries.first().textContent()) ?? "", new RegExp(`Person forgotten.*${blair.length} kept faces`));
  assert.match((await page.getByTestId("audit-summary").textContent()) ?? "", /^2 changes/);
  const audit = (await api.request("GET", "/api/audit")).json as AuditList;
  assert.deepEqual(
    audit.entries.map((e) => e.action),
    ["person.forget", "cluster.name"],
  );
  await shot(page, "audit-desktop-light");
  await phone.page.getByTestId("tab-audit").click();
  await phone.page.getByTestId("audit-entry").first().waitFor();
  await shot(phone.page, "audit-phone-dark");

  assert.deepEqual([...problems, ...phone.problems], [], "no page errors");
  for (const [name, bytes] of Object.entries(shots)) assert.ok(bytes < SCREENSHOT_MAX_BYTES, `${name}.png is ${bytes} bytes`);
  fleet.passed();
});
