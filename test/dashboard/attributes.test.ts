/**
 * Attributes in the dashboard, in a real headless Chromium against `facefleet coordinator` and Kafka (29200, MQTT
 * 29210, HTTP 29220; no agent process: what an agent with worker.attributes sends is sent as it would send it):
 * - Events: person_seen and unknown_person events of real pictures carrying the attributes the real models estimate
 *   (test/support/face-events.ts) show them under their score (`happy · 43 · male`, names and confidences in the
 *   title); an event of a camera without attributes shows none;
 * - Live: an annotated frame drawn by the agent's annotator with the faces' attributes (facefleet.annotated) is the
 *   camera's tile;
 * - Fleet: health from the agent's MQTT side (agent/health/agent-mqtt.ts) with the time real estimates took shows
 *   the Attributes line and the attributes stage.
 * Screenshots (1280×800 light, 390×844 dark) into docs/screenshots/ with FACEFLEET_SCREENSHOTS=docs.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Partitioners } from "kafkajs";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { type AgentMqtt, startAgentMqtt } from "../../agent/health/agent-mqtt.js";
import { agentMqttSettingsSchema } from "../../agent/health/mqtt-settings.js";
import { AnnotationDemand } from "../../agent/worker/annotation-demand.js";
import { FrameAnnotator } from "../../agent/worker/annotator.js";
import { WorkerStats } from "../../agent/worker/stats.js";
import { eventId } from "../../protocol/api-events.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { encodeFrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import { embedEnrollmentSources } from "../../recognition/enrollment.js";
import { toFaceResult } from "../../recognition/face-result.js";
import { emptyGallery, upsertIdentities } from "../../recognition/gallery.js";
import { GalleryMatcher, UNKNOWN } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { TEST_MQTT_PASSWORD } from "../../testing/fleet.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { FaceEvents } from "../support/face-events.js";
import { logIn, SCREENSHOT_MAX_BYTES, screenshot, startBrowserFleet } from "./browser-fleet.js";

useTestModels();

const MQTT_PORT = 29210;
const AGENT = "agent-door";

/** As the Events view writes them (dashboard/src/events/event-row.tsx attributesText). */
const shownText = (event: RecognitionEvent) =>
  Object.values(event.attributes ?? {})
    .map((a) => String(a.value))
    .join(" · ");

test("dashboard in Chromium: attributes in the events list, on a live tile and in the agent's health", { timeout: 600_000 }, async (t) => {
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const models = await AttributeModels.load(["emotion", "age", "gender"], { threads: 1 });
  // Barack Obama enrolled from obama2.jpg: his events and the annotated frame name him with a real distance.
  const { identities } = await embedEnrollmentSources(pipeline, [{ identity: "Barack Obama", path: exampleImage("obama2.jpg") }]);
  const matcher = new GalleryMatcher(upsertIdentities(emptyGallery(pipeline.recognizer), identities), pipeline.thresholds.cosineDistance);
  const named = (event: RecognitionEvent): RecognitionEvent => {
    const match = matcher.match(Float32Array.from(event.embedding ?? []));
    assert.ok("distance" in match && match.identity === event.identity, `${event.identity}: ${JSON.stringify(match)}`);
    return { ...event, distance: Math.round(match.distance * 1e4) / 1e4 };
  };
  const make = new FaceEvents(pipeline, Date.now() - 600_000, AGENT);
  const withAttributes = [
    named(await make.of(exampleImage("obama.jpg"), "cam-door", "person_seen", "Barack Obama", models)),
    await make.of(exampleImage("biden.jpg"), "cam-door", "unknown_person", UNKNOWN, models),
    await make.of(exampleImage("lin-manuel-miranda.png"), "cam-hall", "person_seen", "Lin-Manuel Miranda", models),
    await make.of(exampleImage("alex-lacamoire.png"), "cam-hall", "person_seen", "Alex Lacamoire", models),
  ];
  const without = named(await make.of(exampleImage("obama-480p.jpg"), "cam-yard", "person_seen", "Barack Obama"));
  const all = [...withAttributes, without];
  for (const event of withAttributes) assert.deepEqual(Object.keys(event.attributes ?? {}), ["emotion", "age", "gender"]);
  assert.equal(without.attributes, undefined);

  // The annotated frame an agent with attributes on sends for cam-door, and the time its estimates take.
  // At a camera's resolution (the picture is 2 MP; a large tile of it would not fit a committed screenshot).
  const frame = await sharp(exampleImage("two_people.jpg")).resize({ width: 640 }).jpeg({ quality: 85 }).toBuffer();
  const analysis = await pipeline.analyse(frame);
  const estimated = await models.estimate(analysis.image, analysis.faces);
  const faces = analysis.faces.map((face, i) => ({
    ...toFaceResult(face, face.embedding ? matcher.match(face.embedding) : null),
    trackId: null,
    attributes: estimated.attributes[i],
  }));
  assert.deepEqual(
    faces.map((f) => f.identity),
    ["Barack Obama", UNKNOWN],
  );
  const annotator = new FrameAnnotator(new AnnotationDemand({ annotated: "always", annotateAlways: [], annotateMaxFps: 0 }));
  const annotated = (await annotator.annotate("cam-door", Date.now(), analysis.image, faces)) as Buffer;
  const stats = new WorkerStats(AGENT);
  for (let i = 0; i < 8; i++) {
    const { ms } = await models.estimate(analysis.image, i % 4 === 0 ? analysis.faces : []);
    stats.frameIn();
    stats.frameOut(
      { queue: 4, decode: 6, detect: 30, align: 2, embed: 12, match: 0.1, track: 0.2, attributes: ms, total: 60 + ms },
      true,
      0,
    );
    if (i % 4 === 0) stats.attributesRun += analysis.faces.length;
  }

  const fleet = await startBrowserFleet(t, { kafkaPort: 29200, mqttPort: MQTT_PORT, httpPort: 29220, partitions: 2, agentIds: [] });
  const { api, check } = fleet;
  const shots: Record<string, number> = {};
  const shot = async (page: Page, name: string) => {
    shots[name] = await screenshot(page, name);
  };

  const producer = fleet.broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  fleet.cleanup(() => producer.disconnect());
  await check(
    "the coordinator lists the events",
    async () => {
      const { json } = await api.request("GET", "/api/events");
      const listed = new Set((json as { events: { id: string }[] }).events.map((e) => e.id));
      if (all.every((e) => listed.has(eventId(e)))) return true;
      await producer.send({ topic: topics.events, acks: -1, messages: all.map((e) => ({ key: e.camera, value: JSON.stringify(e) })) });
      return false;
    },
    120_000,
  );
  const sendAnnotated = () =>
    producer.send({
      topic: topics.annotated,
      acks: -1,
      messages: [
        {
          key: "cam-door",
          value: annotated,
          headers: encodeFrameHeaders({
            camera: "cam-door",
            seq: 1,
            "capture-time": Date.now(),
            width: analysis.image.width,
            height: analysis.image.height,
            format: "jpeg",
            producer: AGENT,
          }),
        },
      ],
    });
  await sendAnnotated();

  // The agent's MQTT side (status, health every second) with the stats of real estimates.
  let agentMqtt: AgentMqtt | undefined = await startAgentMqtt({
    agentId: AGENT,
    settings: agentMqttSettingsSchema.parse({
      url: `mqtt://127.0.0.1:${MQTT_PORT}`,
      username: "facefleet",
      password: TEST_MQTT_PASSWORD,
      healthIntervalMs: 1000,
    }),
    framesTopic: topics.frames,
    stats: () => stats.snapshot(),
    framesIn: () => stats.framesIn,
    models: () => [...pipeline.describe(), ...models.describe()],
    lag: () => new Map(),
    handlers: {},
    log: () => {},
  });
  fleet.cleanup(async () => {
    await agentMqtt?.close();
    agentMqtt = undefined;
  });

  const { page, problems } = await fleet.newPage("desktop");
  const phone = await fleet.newPage("phone");
  for (const p of [page, phone.page]) await logIn(p, fleet.baseUrl);

  // --- Events: the attributes under the score, names and confidences in the title; none for cam-yard.
  await page.getByTestId("tab-events").click();
  const row = (event: RecognitionEvent) => page.locator(`[data-testid="event"][data-id="${eventId(event)}"]`);
  for (const event of withAttributes) {
    const shown = row(event).getByTestId("attributes");
    await shown.waitFor();
    assert.equal(await shown.textContent(), shownText(event));
    assert.match(shownText(event), /^[a-z]+ · \d+ · (male|female)$/);
    const title = (await shown.getAttribute("title")) ?? "";
    const { emotion, age, gender } = event.attributes ?? {};
    assert.ok(emotion && age && gender);
    assert.equal(
      title,
      `emotion ${emotion.value} (${Math.round(emotion.confidence * 100)}%), age ${age.value} (${Math.round(age.confidence * 100)}%), gender ${gender.value} (${Math.round(gender.confidence * 100)}%)`,
    );
  }
  await row(without).waitFor();
  assert.equal(await row(without).getByTestId("attributes").count(), 0, "no attributes on the cam-yard event");
  assert.equal(await page.getByTestId("attributes").count(), withAttributes.length);
  await check("the events' crops are drawn", () =>
    page
      .getByTestId("event")
      .locator("img")
      .evaluateAll(
        (els) => els.length >= 5 && els.every((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0),
      ),
  );
  await shot(page, "events-attributes-desktop-light");
  await phone.page.getByTestId("tab-events").click();
  await phone.page
    .locator(`[data-testid="event"][data-id="${eventId(withAttributes[0] as RecognitionEvent)}"]`)
    .getByTestId("attributes")
    .waitFor();
  await shot(phone.page, "events-attributes-phone-dark");

  // --- Fleet: the agent's card with its attribute estimates and the attributes stage.
  await page.getByTestId("tab-fleet").click();
  const line = page.getByTestId(`attributes-${AGENT}`);
  await line.waitFor({ timeout: 30_000 });
  const snapshot = stats.snapshot().attributes;
  assert.ok(snapshot && snapshot.estimates === 2 * analysis.faces.length, JSON.stringify(snapshot));
  assert.match((await line.textContent()) ?? "", new RegExp(`^${snapshot.estimates} faces estimated · [\\d.]+ ms each$`));
  await shot(page, "fleet-attributes-desktop-light");
  const stages = await page
    .getByTestId(`agent-${AGENT}`)
    .locator('[data-testid="latency"] dt')
    .evaluateAll((els) => els.map((el) => el.textContent));
  assert.equal(stages.indexOf("attributes"), stages.indexOf("total") - 1, stages.join(","));

  // --- Live: cam-door's tile is the annotated frame with the faces' attributes drawn.
  await page.getByTestId("tab-live").click();
  const tile = page.getByTestId("tile-cam-door").locator("img");
  await check("cam-door's tile drawn", async () => {
    if (
      (await tile.count()) > 0 &&
      (await tile.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0))
    )
      return true;
    await sendAnnotated();
    return false;
  });
  const latest = await api.request("GET", "/api/cameras/cam-door/latest.jpg");
  assert.equal(latest.status, 200);
  await page.getByRole("button", { name: "Show camera cam-door large" }).click();
  await check("cam-door shown large", () =>
    page
      .locator('[data-testid="tile-cam-door"].tile-large img')
      .evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0)
      .catch(() => false),
  );
  await shot(page, "live-attributes-desktop-light");

  assert.deepEqual([...problems, ...phone.problems], [], "no page errors");
  for (const [name, bytes] of Object.entries(shots)) assert.ok(bytes < SCREENSHOT_MAX_BYTES, `${name}.png is ${bytes} bytes`);
  fleet.passed();
});
