/** Photos larger than this are scaled down before upload (smaller uploads; the server takes up to 9 MiB). */
const MAX_SIDE = 1280;
const MAX_BYTES = 600 * 1024;

function toBase64(bytes: ArrayBuffer): string {
  const view = new Uint8Array(bytes);
  let binary = "";
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * A photo file as base64 for `POST /api/people/:name/photos`. A large photo is re-encoded as a JPEG
 * whose longer side is at most MAX_SIDE px (plenty for face detection); a small one goes as it is.
 */
export async function encodePhoto(file: File): Promise<string> {
  if (file.size <= MAX_BYTES) return toBase64(await file.arrayBuffer());
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d")?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
  if (!blob) throw new Error("The photo could not be read.");
  return toBase64(await blob.arrayBuffer());
}
