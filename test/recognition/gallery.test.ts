import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { assertSameRecognizer, emptyGallery, readGallery, upsertIdentities, writeGallery } from "../../recognition/gallery.js";
import { GalleryMatcher, UNKNOWN } from "../../recognition/match.js";

const stamp = { family: "toy", modelId: "toy-v1", embeddingSize: 3 };
const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
};

test("gallery round trip keeps vectors exactly and bumps the version on each change", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-gallery-"));
  const path = join(dir, "gallery.json");
  let gallery = upsertIdentities(emptyGallery(stamp), [{ name: "ada", embeddings: [{ vector: unit(1, 2, 3), source: "a.jpg" }] }]);
  await writeGallery(path, gallery);
  const loaded = await readGallery(path);
  assert.equal(loaded.version, 1);
  assert.deepEqual(Array.from(loaded.identities[0]?.embeddings[0]?.vector ?? []), Array.from(unit(1, 2, 3)));
  gallery = upsertIdentities(loaded, [
    { name: "ada", embeddings: [{ vector: unit(0, 0, 1), source: "b.jpg" }] },
    { name: "bob", embeddings: [] },
  ]);
  assert.equal(gallery.version, 2);
  assert.deepEqual(
    gallery.identities.map((i) => i.name),
    ["ada", "bob"],
  );
  assert.equal(gallery.identities[0]?.embeddings.length, 1, "re-enrolling replaces, not appends");
});

test("a gallery of another recognizer family is refused with a message naming both", () => {
  const gallery = emptyGallery(stamp);
  assert.throws(
    () => assertSameRecognizer(gallery, { family: "other", modelId: "other-v2", embeddingSize: 3 }, "gallery g.json"),
    /gallery g\.json was made with recognizer toy-v1 .* but other-v2/,
  );
  assert.doesNotThrow(() => assertSameRecognizer(gallery, { ...stamp, modelId: "toy-v1-int8" }, "g"));
});

test("a malformed gallery file names the bad field", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-gallery-"));
  const path = join(dir, "bad.json");
  const good = JSON.parse(
    await readFile(
      await (async () => {
        const p = join(dir, "good.json");
        await writeGallery(p, emptyGallery(stamp));
        return p;
      })(),
      "utf8",
    ),
  );
  await writeFile(path, JSON.stringify({ ...good, recognizer: { ...good.recognizer, embeddingSize: "big" } }));
  await assert.rejects(readGallery(path), /recognizer\.embeddingSize/);
  await assert.rejects(readGallery(join(dir, "missing.json")), /cannot read gallery .*ENOENT/);
});

test("nearest-neighbour matching names the closest identity within the threshold, else Unknown", () => {
  const gallery = upsertIdentities(emptyGallery(stamp), [
    { name: "ada", embeddings: [{ vector: unit(1, 0, 0), source: "" }] },
    { name: "bob", embeddings: [{ vector: unit(0, 1, 0), source: "" }] },
  ]);
  const matcher = new GalleryMatcher(gallery, 0.1);
  const near = matcher.match(unit(1, 0.2, 0));
  assert.equal(near.identity, "ada");
  assert.ok("distance" in near && near.distance < 0.1);
  assert.equal(matcher.match(unit(1, 1, 0)).identity, UNKNOWN);
  assert.equal(new GalleryMatcher(emptyGallery(stamp), 0.5).match(unit(1, 0, 0)).identity, UNKNOWN);
});
