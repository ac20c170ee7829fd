/**
 * The Search and Unknown faces views in a real headless Chromium against `facefleet coordinator` and Kafka (23290,
 * MQTT 23390, HTTP 23490; no agent needed: events with real embeddings and crops of real pictures are published to
 * facefleet.events as an agent would, test/support/face-events.ts).
 *
 * Search: a photo of Barack Obama chosen in the file input lists exactly his three events, nearest first, with their
 * crops drawn. Unknown faces: Tony Blair's and Hugo Chávez's faces in a group each; a face clicked shows excluded and
 * clicked again is included; Blair's group named "Tony Blair" (one click after typing) enrolls his best faces
 * (GET /api/people) and leaves the list; Chávez's dismissed leaves it too; both hold after a reload. Screenshots
 * (1280×800 light, 390×844 dark) into docs/screenshots/ with FACEFLEET_SCREENSHOTS=docs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Partitioners } from "kafkajs";
import type { Page } from "playwright-core";
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

test("dashboard in Chromium: find a face from a photo; unknown faces named and dismissed in bulk", { timeout: 600_000 }, async (t) => {
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const make = new FaceEvents(pipeline, Date.now() - 3_600_000);
  const obama = [
    await make.of(exampleImage("obama.jpg"), "cam-hall", "person_seen", "Barack Obama"),
    await make.of(exampleImage("obama2.jpg"), "cam-door", "person_seen", "Barack Obama"),
    await make.of(exampleImage("obama-480p.jpg"), "cam-door", "person_seen", "Barack Obama"),
  ];
  const blair: RecognitionEvent[] = [];
  for (const [i, file] of lfwPictures("Tony_Blair", 5).entries())
    blair.push(await make.of(file, i % 2 ? "cam-hall" : "cam-yard", "unknown_person", "Unknown"));
  const chavez: RecognitionEvent[] = [];
  for (const file of lfwPictures("Hugo_Chavez", 4)) chavez.push(await make.of(file, "cam-yard", "unknown_person", "Unknown"));
  const all = [...obama, ...blair, ...chavez];
  const blairIds = new Set(blair.map(eventId));
  const chavezIds = new Set(chavez.map(eventId));

  const fleet = await startBrowserFleet(t, { kafkaPort: 23290, mqttPort: 23390, httpPort: 23490, partitions: 2, agentIds: [] });
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
      if ((await clusters()).faces === blair.length + chavez.length) return true;
      await producer.send({ topic: topics.events, acks: -1, messages: all.map((e) => ({ key: e.camera, value: JSON.stringify(e) })) });
      return false;
    },
    120_000,
  );

  const { page, problems } = await fleet.newPage("desktop");
  const phone = await fleet.newPage("phone");
  for (const p of [page, phone.page]) await logIn(p, fleet.baseUrl);

  // --- Search: Obama's three events, nearest first, crops drawn.
  await page.getByTestId("tab-search").click();
  await page.getByTestId("search-input").setInputFiles(exampleImage("obama-720p.jpg"));
  const summary = page.getByTestId("search-summary");
  await summary.waitFor({ timeout: 120_000 });
  assert.equal(await summary.getAttribute("data-matches"), "3");
  const rows = page.getByTestId("search-result");
  assert.deepEqual(new Set(await rows.evaluateAll((els) => els.map((el) => el.getAttribute("data-id")))), new Set(obama.map(eventId)));
  const shown = (await rows.evaluateAll((els) => els.map((el) => Number(el.getAttribute("data-distance"))))) as number[];
  assert.deepEqual(
    shown,
    [...shown].sort((a, b) => a - b),
    "nearest first",
  );
  await check("the matches' crops are drawn", () =>
    rows
      .locator("img")
      .evaluateAll((els) => els.every((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0)),
  );
  assert.match((await rows.first().textContent()) ?? "", /cam-(hall|door).*distance \d\.\d{3}.*Barack Obama/);
  await shot(page, "search-desktop-light");
  // A photo with two people and no clear subject: the reason shows.
  await page.getByTestId("search-input").setInputFiles(exampleImage("two_people.jpg"));
  await page.getByTestId("search-error").waitFor();
  assert.match((await page.getByTestId("search-error").textContent()) ?? "", /\S/);

  await phone.page.getByTestId("tab-search").click();
  await phone.page.getByTestId("search-input").setInputFiles(exampleImage("obama-720p.jpg"));
  await phone.page.getByTestId("search-summary").waitFor({ timeout: 120_000 });
  await shot(phone.page, "search-phone-dark");

  // --- Unknown faces: a group each for Blair and Chávez.
  const listed = await clusters();
  const groupOf = (ids: Set<string>) => listed.clusters.find((c) => c.faces.filter((f) => ids.has(f.id)).length >= Math.ceil(ids.size / 2));
  const blairGroup = groupOf(blairIds);
  const chavezGroup = groupOf(chavezIds);
  assert.ok(blairGroup && chavezGroup && blairGroup.id !== chavezGroup.id, "a group each");
  await page.getByTestId("tab-faces").click();
  const blairCard = page.locator(`[data-testid="cluster"][data-id="${blairGroup.id}"]`);
  const chavezCard = page.locator(`[data-testid="cluster"][data-id="${chavezGroup.id}"]`);
  await blairCard.waitFor();
  await chavezCard.waitFor();
  assert.equal(await blairCard.getAttribute("data-size"), String(blairGroup.size));
  assert.match((await blairCard.getByTestId("cluster-cameras").textContent()) ?? "", /cam-hall.*cam-yard|cam-yard.*cam-hall/);
  await check("the group's crops are drawn", () =>
    blairCard
      .locator("img")
      .evaluateAll(
        (els) => els.length > 0 && els.every((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0),
      ),
  );
  // A click on a face excludes it, a second includes it again.
  const firstFace = blairCard.getByTestId("face-tile").first();
  await firstFace.getByTestId("face-toggle").click();
  assert.equal(await firstFace.getAttribute("data-excluded"), "true");
  assert.match((await blairCard.getByTestId("cluster-name-submit").textContent()) ?? "", new RegExp(`Name ${blairGroup.size - 1} face`));
  await shot(page, "faces-desktop-light");
  await firstFace.getByTestId("face-toggle").click();
  assert.equal(await firstFace.getAttribute("data-excluded"), "false");

  await phone.page.getByTestId("tab-faces").click();
  await phone.page.locator(`[data-testid="cluster"][data-id="${blairGroup.id}"] img`).first().waitFor();
  await shot(phone.page, "faces-phone-dark");

  // Name Blair's group: his best faces enrolled, the group gone.
  await blairCard.getByTestId("cluster-name-input").fill("Tony Blair");
  await blairCard.getByTestId("cluster-name-submit").click();
  await page.getByTestId("toast").filter({ hasText: "named Tony Blair" }).waitFor();
  await blairCard.waitFor({ state: "detached" });
  const people = (await api.request("GET", "/api/people")).json as PeopleList;
  const enrolled = people.people.find((p) => p.name === "Tony Blair");
  assert.equal(enrolled?.photos, Math.min(5, blairGroup.size), "his best faces enrolled");
  // Dismiss Chávez's group.
  await chavezCard.getByTestId("cluster-dismiss").click();
  await page.getByTestId("toast").filter({ hasText: "dismissed" }).waitFor();
  await chavezCard.waitFor({ state: "detached" });
  const left = await clusters();
  assert.ok(!left.clusters.some((c) => c.id === blairGroup.id || c.id === chavezGroup.id), "both gone (API)");
  await page.reload();
  await page
    .getByTestId("clusters-summary")
    .filter({ hasText: `${left.faces} unknown face` })
    .waitFor();
  assert.equal(await page.locator(`[data-testid="cluster"][data-id="${blairGroup.id}"]`).count(), 0, "still gone after a reload");

  assert.deepEqual([...problems, ...phone.problems], [], "no page errors");
  for (const [name, bytes] of Object.entries(shots)) assert.ok(bytes < SCREENSHOT_MAX_BYTES, `${name}.png is ${bytes} bytes`);
  fleet.passed();
});
