/** Float32 vectors as base64 of their little-endian bytes: compact in JSON and exact. */
export function encodeVector(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i] as number, true);
  return Buffer.from(bytes).toString("base64");
}

export function decodeVector(text: string, expectedLength: number): Float32Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== expectedLength * 4) throw new Error(`vector has ${bytes.length / 4} values, expected ${expectedLength}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(expectedLength);
  for (let i = 0; i < expectedLength; i++) {
    const value = view.getFloat32(i * 4, true);
    if (!Number.isFinite(value)) throw new Error(`vector value ${i} is ${value}, not a finite number`);
    out[i] = value;
  }
  return out;
}
