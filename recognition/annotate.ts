import sharp from "sharp";
import type { Box, RgbImage } from "./image.js";
import { UNKNOWN } from "./match.js";

export type FaceLabel = { box: Box; identity: string; detail?: string };

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] as string);

/** An SVG layer the size of the picture: a box per face, green when named, red when Unknown, the name above it. */
export function annotationSvg(width: number, height: number, labels: readonly FaceLabel[]): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 300));
  const fontSize = Math.max(12, Math.round(Math.min(width, height) / 40));
  const parts = labels.map(({ box, identity, detail }) => {
    const colour = identity === UNKNOWN ? "#e5484d" : "#30a46c";
    const text = escapeXml(detail ? `${identity} ${detail}` : identity);
    const labelHeight = fontSize + 6;
    const labelY = box.y - labelHeight >= 0 ? box.y - labelHeight : box.y + box.height;
    const labelWidth = Math.round(text.length * fontSize * 0.62) + 8;
    return [
      `<rect x="${box.x.toFixed(1)}" y="${box.y.toFixed(1)}" width="${box.width.toFixed(1)}" height="${box.height.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`,
      `<rect x="${box.x.toFixed(1)}" y="${labelY.toFixed(1)}" width="${labelWidth}" height="${labelHeight}" fill="${colour}"/>`,
      `<text x="${(box.x + 4).toFixed(1)}" y="${(labelY + fontSize).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="#fff">${text}</text>`,
    ].join("");
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
