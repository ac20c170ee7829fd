import sharp from "sharp";
import type { Box, RgbImage } from "./image.js";
import { UNKNOWN } from "./match.js";

/**
 * One face to draw: its box, its name (with `detail`, e.g. the distance, after it) and, when estimated, its
 * attributes as one short line under the name (`attributes`, e.g. `happy · 43 · m`: attributes/attribute-label.ts).
 */
export type FaceLabel = { box: Box; identity: string; detail?: string | undefined; attributes?: string | undefined };

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] as string);

/** The width a line of `text` takes at `fontSize` (an estimate: DejaVu Sans averages about 0.62 em). */
const lineWidth = (text: string, fontSize: number) => Math.round(text.length * fontSize * 0.62) + 8;

/**
 * An SVG layer the size of the picture: a box per face, green when named, red when Unknown, the name above it
 * (below it at the picture's top edge) and the attributes, where there are any, on a second, smaller line under
 * the name.
 */
export function annotationSvg(width: number, height: number, labels: readonly FaceLabel[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const fontSize = Math.max(12, Math.round(Math.min(width, height) / 40));
  const attributeFontSize = Math.max(11, Math.round(fontSize * 0.85));
  const parts = labels.map(({ box, identity, detail, attributes }) => {
    const colour = identity === UNKNOWN ? "#e5484d" : "#30a46c";
    const name = detail ? `${identity} ${detail}` : identity;
    const nameHeight = fontSize + 6;
    const attributeHeight = attributes ? attributeFontSize + 6 : 0;
    const labelHeight = nameHeight + attributeHeight;
    const labelY = box.y - labelHeight >= 0 ? box.y - labelHeight : box.y + box.height;
    const labelWidth = Math.max(lineWidth(name, fontSize), attributes ? lineWidth(attributes, attributeFontSize) : 0);
    const drawn = [
      `<rect x="${box.x.toFixed(1)}" y="${box.y.toFixed(1)}" width="${box.width.toFixed(1)}" height="${box.height.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`,
      `<rect x="${box.x.toFixed(1)}" y="${labelY.toFixed(1)}" width="${labelWidth}" height="${labelHeight}" fill="${colour}"/>`,
      `<text x="${(box.x + 4).toFixed(1)}" y="${(labelY + fontSize).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="#fff">${escapeXml(name)}</text>`,
    ];
    if (attributes)
      drawn.push(
        `<text x="${(box.x + 4).toFixed(1)}" y="${(labelY + nameHeight + attributeFontSize).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${attributeFontSize}" fill="#fff">${escapeXml(attributes)}</text>`,
      );
    return drawn.join("");
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join("")}</svg>`;
}

/** Draws the labels onto the picture and encodes it (JPEG by default, PNG/WebP when asked). */
export async function annotateImage(
  image: RgbImage,
  labels: readonly FaceLabel[],
  format: "jpeg" | "png" | "webp" = "jpeg",
): Promise<Buffer> {
  const overlay = Buffer.from(annotationSvg(image.width, image.height, labels));
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: overlay, top: 0, left: 0 }])
    .toFormat(format, format === "jpeg" ? { quality: 85 } : {})
    .toBuffer();
}
