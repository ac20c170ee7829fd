/**
 * Roles in the dashboard, in a real headless Chromium against `facefleet coordinator`, Kafka (28092, MQTT 28192,
 * HTTP 28292) and one `facefleet agent`: a named viewer token and a named operator token (the state dir's
 * api-tokens.json, as `facefleet api-tokens create` writes it) log in through the login page.
 *
 * The viewer sees every view with "viewer: read only" in the top bar and none of the operator's controls: no
 * Drain/Undrain, no partition menu, no "Add person", no photo input, Delete or Forget… on a person, no "Correct…" on an
 * event, the alert switches disabled and no "Another camera" form, no Name/Dismiss (nor face exclusion) on an
 * unknown-faces group; Search (a read) stays. It keeps that after a reload (GET /api/session). Requests it forces from the page
 * with its session cookie (drain, delete a person, an alert switch, a correction, name and dismiss a group, move a
 * partition, forget a person) get 403 `forbidden`, and nothing changed. The operator sees all those controls; its drain (confirmed) is
 * answered by the coordinator (409: the only agent), and its alert switch turns alerts on. A screenshot of the viewer's
 * board (1280×800 light) and fleet on a phone (390×844 dark, nothing wider than the screen) go to docs/screenshots/
 * with FACEFLEET_SCREENSHOTS=docs.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import { Partitioners } from "kafkajs";
import type { Page } from "playwright-core";
import { createApiToken } from "../../coordinator/state/api-tokens.js";
import type { EventView } from "../../protocol/api-events.js";
import type { FaceClusterList } from "../../protocol/api-faces.js";
import type { PeopleList } from "../../protocol/api-people.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { FaceEvents, lfwPictures } from "../support/face-events.js";
import { SCREENSHOT_MAX_BYTES, screenshot, startBrowserFleet } from "./browser-fleet.js";

useTestModels();
const AGENT = "agent-r";
const PERSON = "Ada Lovelace";

/** Logs in on the login page with an API token; resolves when the tabs show. */
async function logInWithToken(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByTestId("login-token").fill(token);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("tab-fleet").waitFor();
}

/** A request the page sends with its own session cookie (what a viewer could do from the browser's console). */
async function forced(page: Page, method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return page.evaluate(
    async ({ method, route, body }) => {
      const response = await fetch(route, {
        method,
        credentials: "same-origin",
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
    },
    { method, route, body },
  );
}

test("dashboard in Chromium: a viewer's session shows no operator control and is refused 403; an operator's has them", {
  timeout: 600_000,
}, async (t) => {
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const make = new FaceEvents(pipeline, Date.now() - 600_000);
  const events: RecognitionEvent[] = [await make.of(exampleImage("obama.jpg"), "cam-hall", "person_seen", "Barack Obama")];
  for (const file of lfwPictures("Hugo_Chavez", 4)) events.push(await make.of(file, "cam-yard", "unknown_person", "Unknown"));

  const fleet = await startBrowserFleet(t, { kafkaPort: 28092, mqttPort: 28192, httpPort: 28292, partitions: 2, agentIds: [AGENT] });
  const { api, check } = fleet;
  const stateDir = path.join(fleet.dir, "coordinator-state");
  const { token: viewerToken } = await createApiToken(stateDir, { name: "wall-screen", role: "viewer" });
  const { token: operatorToken } = await createApiToken(stateDir, { name: "alice", role: "operator" });

  assert.equal((await api.request("POST", "/api/people", { name: PERSON })).status, 200);
  // A camera with an alert setting (off), so that the Alerts tab lists its switch.
  assert.equal((await api.request("PUT", "/api/alerts/unknown/cam-yard", { enabled: false })).status, 200);
  const producer = fleet.broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  fleet.cleanup(() => producer.disconnect());
  await check(
    "the coordinator keeps the events and their faces",
    async () => {
      const kept = (await api.request("GET", "/api/events")).json as { events: EventView[] };
      const clusters = (await api.request("GET", "/api/faces/clusters")).json as FaceClusterList;
      if (kept.events.length >= events.length && clusters.clusters.length > 0) return true;
      await producer.send({ topic: topics.events, acks: -1, messages: events.map((e) => ({ key: e.camera, value: JSON.stringify(e) })) });
      return false;
    },
    120_000,
  );
  await check("the plan gives the agent its partitions", () => fleet.fleetFollowsPlan([AGENT]), 180_000);
  const clusterId = ((await api.request("GET", "/api/faces/clusters")).json as FaceClusterList).clusters[0]?.id ?? "";
  const eventIdOf = ((await api.request("GET", "/api/events")).json as { events: EventView[] }).events[0]?.id ?? "";

  /** What the page shows of each operator control, view by view. */
  const controls = async (page: Page) => {
    const count = (id: string) => page.getByTestId(id).count();
    await page.getByTestId("tab-board").click();
    await page.getByTestId(`column-${AGENT}`).waitFor();
    await page.getByTestId("partition-0").waitFor();
    const board = { drain: (await count(`drain-${AGENT}`)) + (await count(`undrain-${AGENT}`)), menu: await count("menu-0") };
    await page.getByTestId("tab-people").click();
    await page.getByTestId(`person-${PERSON}`).waitFor();
    const people = {
      create: await count("person-create"),
      photos: await count(`photo-input-${PERSON}`),
      delete: await count(`delete-person-${PERSON}`),
      forget: await count(`forget-person-${PERSON}`),
    };
    await page.getByTestId("tab-events").click();
    await page.locator('[data-testid="event"][data-type="person_seen"]').waitFor();
    const correct = (await count("correct")) > 0;
    await page.getByTestId("tab-alerts").click();
    const toggle = page.getByTestId("alert-toggle-cam-yard");
    await toggle.waitFor();
    await check("the alert settings are loaded", () => page.getByTestId("alert-retention").evaluate((el) => el.textContent !== ""));
    const alerts = { switchEnabled: await toggle.isEnabled(), add: await count("alert-camera-add") };
    await page.getByTestId("tab-faces").click();
    await page.getByTestId("cluster").first().waitFor();
    const faces = {
      name: await count("cluster-name-submit"),
      dismiss: await count("cluster-dismiss"),
      exclude: (await count("face-toggle")) > 0,
    };
    await page.getByTestId("tab-search").click();
    // The Search view renders after the click: wait for it (a count taken at once raced it on a fresh CI machine).
    await page.getByTestId("search-input").waitFor();
    const search = await page.getByTestId("search-input").count();
    return { readOnly: await count("read-only"), board, people, correct, alerts, faces, search };
  };

  // --- The viewer: read only.
  const viewer = await fleet.newPage("desktop");
  await logInWithToken(viewer.page, fleet.baseUrl, viewerToken);
  const none = {
    readOnly: 1,
    board: { drain: 0, menu: 0 },
    people: { create: 0, photos: 0, delete: 0, forget: 0 },
    correct: false,
    alerts: { switchEnabled: false, add: 0 },
    faces: { name: 0, dismiss: 0, exclude: false },
    search: 1,
  };
  assert.deepEqual(await controls(viewer.page), none, "a viewer sees no operator control");
  assert.match((await viewer.page.getByTestId("read-only").textContent()) ?? "", /viewer: read only/);
  await viewer.page.reload();
  await viewer.page.getByTestId("tab-fleet").waitFor();
  assert.deepEqual(await controls(viewer.page), none, "still read only after a reload (GET /api/session)");
  assert.deepEqual(await forced(viewer.page, "GET", "/api/session"), { status: 200, json: { role: "viewer" } });
  await viewer.page.getByTestId("tab-board").click();
  await viewer.page.getByTestId("partition-0").waitFor();
  const shot = await screenshot(viewer.page, "board-viewer-desktop-light");
  assert.ok(shot < SCREENSHOT_MAX_BYTES, `board-viewer-desktop-light.png is ${shot} bytes`);
  // On a phone the note fits the top bar (nothing wider than the screen).
  const phone = await fleet.newPage("phone");
  await logInWithToken(phone.page, fleet.baseUrl, viewerToken);
  await phone.page.getByTestId("read-only").waitFor();
  const widths = await phone.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  assert.ok((widths[0] ?? 0) <= (widths[1] ?? 0), `the page is ${widths[0]} px wide on a ${widths[1]} px screen`);
  const phoneShot = await screenshot(phone.page, "fleet-viewer-phone-dark");
  assert.ok(phoneShot < SCREENSHOT_MAX_BYTES, `fleet-viewer-phone-dark.png is ${phoneShot} bytes`);

  // Requests forced from the viewer's page, with its session cookie: 403, nothing changed.
  for (const [method, route, body] of [
    ["POST", `/api/agents/${AGENT}/drain`, undefined],
    ["POST", "/api/partitions/0/move", { agent: AGENT }],
    ["POST", "/api/people", { name: "Mallory" }],
    ["DELETE", `/api/people/${encodeURIComponent(PERSON)}`, undefined],
    ["POST", `/api/people/${encodeURIComponent(PERSON)}/forget`, undefined],
    ["PUT", "/api/alerts/unknown/cam-yard", { enabled: true }],
    ["POST", `/api/events/${encodeURIComponent(eventIdOf)}/correction`, { notIdentity: "Barack Obama" }],
    ["POST", `/api/faces/clusters/${encodeURIComponent(clusterId)}/name`, { name: "Hugo Chavez" }],
    ["POST", `/api/faces/clusters/${encodeURIComponent(clusterId)}/dismiss`, undefined],
  ] as const) {
    const answer = await forced(viewer.page, method, route, body);
    assert.equal(answer.status, 403, `${method} ${route}: ${JSON.stringify(answer.json)}`);
    const error = answer.json as { error: string; message: string };
    assert.equal(error.error, "forbidden");
    assert.match(error.message, /needs the operator role; this session has viewer/);
  }
  const people = (await api.request("GET", "/api/people")).json as PeopleList;
  assert.deepEqual(
    people.people.map((p) => p.name),
    [PERSON],
    "no person added or deleted",
  );
  const agent = (await api.agents()).find((a) => a.id === AGENT);
  assert.equal(agent?.drained, false, "not drained");
  const alerts = (await api.request("GET", "/api/alerts/unknown")).json as { cameras: { camera: string; enabled: boolean }[] };
  assert.ok(!alerts.cameras.some((c) => c.camera === "cam-yard" && c.enabled), "alerts not turned on");
  const clusters = (await api.request("GET", "/api/faces/clusters")).json as FaceClusterList;
  assert.ok(
    clusters.clusters.some((c) => c.id === clusterId),
    "the group is neither named nor dismissed",
  );

  // --- The operator: every control, and a drain and undrain from the board reach the coordinator.
  const operator = await fleet.newPage("desktop");
  await logInWithToken(operator.page, fleet.baseUrl, operatorToken);
  assert.deepEqual(await controls(operator.page), {
    readOnly: 0,
    board: { drain: 1, menu: 1 },
    people: { create: 1, photos: 1, delete: 1, forget: 1 },
    correct: true,
    alerts: { switchEnabled: true, add: 1 },
    faces: { name: 1, dismiss: 1, exclude: true },
    search: 1,
  });
  // Its drain is answered by the coordinator (409: the only agent cannot hand its partitions to anyone), not 403.
  await operator.page.getByTestId("tab-board").click();
  await operator.page.getByTestId(`drain-${AGENT}`).click();
  await operator.page.getByTestId("confirm").click();
  await operator.page.getByTestId("toast").filter({ hasText: "no other live, undrained agent" }).waitFor();
  // Its alert switch turns alerts on.
  await operator.page.getByTestId("tab-alerts").click();
  await operator.page.getByTestId("alert-toggle-cam-yard").click();
  await check("the operator's alert switch reached the coordinator", async () => {
    const view = (await api.request("GET", "/api/alerts/unknown")).json as { cameras: { camera: string; enabled: boolean }[] };
    return view.cameras.some((c) => c.camera === "cam-yard" && c.enabled);
  });

  assert.deepEqual([...viewer.problems, ...phone.problems, ...operator.problems], [], "no page errors");
  fleet.passed();
});
