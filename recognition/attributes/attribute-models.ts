import { performance } from "node:perf_hooks";
import { z } from "zod";
import { FacefleetError } from "../../core/errors.js";
import { getAttributeModel, loadManifest } from "../../models/manifest.js";
import { type AttributeFamily, type AttributeModelEntry, type AttributeName, attributeNames } from "../../models/manifest-schema.js";
import { modelDirs } from "../../models/model-dirs.js";
import { type ModelSession, openModelSession, type SessionOptions } from "../../models/model-session.js";
import type { DetectedFace } from "../face.js";
import type { RgbImage } from "../image.js";
import type { AttributeModel, FaceAttributes } from "./attribute-model.js";
import { DlibAgeGenderModel } from "./dlib-age-gender.js";
import { FerEmotionModel } from "./fer-emotion.js";

/** A list of attribute names (config, CLI): each at most once. */
export const attributeListSchema = z
  .array(z.enum(attributeNames))
  .refine((names) => new Set(names).size === names.length, "must name each attribute at most once");

/** One implementation per attribute family of the manifest (models/manifest-schema.ts attributeFamilies). */
const modelsByFamily: Record<AttributeFamily, (loaded: ModelSession<AttributeModelEntry & { id: string }>) => AttributeModel> = {
  "fer-mini-xception": (loaded) => new FerEmotionModel(loaded),
  "dlib-age-v1": (loaded) => new DlibAgeGenderModel(loaded),
  "dlib-gender-v1": (loaded) => new DlibAgeGenderModel(loaded),
};

/** The attribute model for a loaded manifest entry, chosen by its family. */
export function createAttributeModel(loaded: ModelSession<AttributeModelEntry & { id: string }>): AttributeModel {
  return modelsByFamily[loaded.model.family](loaded);
}

export type AttributeLoadOptions = {
  /** Model directories (models/model-dirs.ts); default: the usual list. */
  modelDirs?: readonly string[] | undefined;
  executionProvider?: SessionOptions["executionProvider"];
  threads?: number;
  /** A model id per attribute instead of the manifest's default (defaults.attributes). */
  models?: Partial<Record<AttributeName, string>>;
};

/**
 * The attribute models a CLI run or an agent uses, loaded once (the manifest's default model for each name, or
 * the one given), sha256-checked like the recognizer. A model missing from every directory fails with one line
 * naming it and `npm run models:build`.
 */
export class AttributeModels {
  private constructor(private readonly byName: ReadonlyMap<AttributeName, AttributeModel>) {}

  static async load(names: readonly AttributeName[], options: AttributeLoadOptions = {}): Promise<AttributeModels> {
    const manifest = loadManifest();
    const sessionOptions: SessionOptions = {
      dirs: modelDirs(options.modelDirs ? [...options.modelDirs] : undefined),
      executionProvider: options.executionProvider ?? "auto",
      threads: options.threads ?? 0,
    };
    const byName = new Map<AttributeName, AttributeModel>();
    for (const name of new Set(names)) {
      const id = options.models?.[name] ?? manifest.defaults.attributes[name];
      if (id === undefined) throw new FacefleetError(`no model for the attribute '${name}' in models/manifest.json defaults.attributes`);
      const entry = getAttributeModel(id, manifest);
      if (entry.attribute !== name) throw new FacefleetError(`model '${id}' estimates ${entry.attribute}, not ${name}`);
      byName.set(name, createAttributeModel(await openModelSession(entry, sessionOptions)));
    }
    return new AttributeModels(byName);
  }

  /** The loaded model of one attribute (undefined when not loaded). */
  model(name: AttributeName): AttributeModel | undefined {
    return this.byName.get(name);
  }

  get names(): AttributeName[] {
    return [...this.byName.keys()];
  }

  /** Which model runs on which provider (health, doctor). */
  describe(): { role: string; model: string; precision: string; provider: string; skipped: string[]; sha256: string }[] {
    return [...this.byName.values()].map(({ loaded }) => ({
      role: "attribute",
      model: loaded.model.id,
      precision: loaded.model.precision,
      provider: loaded.provider,
      skipped: loaded.skipped,
      sha256: loaded.model.sha256,
    }));
  }

  /**
   * The attributes `names` (default: every loaded one; names not loaded are skipped) of each face, one batched
   * run per model; `ms`: the time it took (crops and runs).
   */
  async estimate(
    image: RgbImage,
    faces: readonly DetectedFace[],
    names: readonly AttributeName[] = this.names,
  ): Promise<{ attributes: FaceAttributes[]; ms: number }> {
    const t0 = performance.now();
    const attributes: FaceAttributes[] = faces.map(() => ({}));
    if (faces.length > 0) {
      for (const name of names) {
        const model = this.byName.get(name);
        if (!model) continue;
        const values = await model.estimate(faces.map((face) => model.input(image, face)));
        values.forEach((value, i) => {
          (attributes[i] as FaceAttributes)[name] = value;
        });
      }
    }
    return { attributes, ms: performance.now() - t0 };
  }
}
