/**
 * Splits a concatenated stream of JPEGs (ffmpeg `-f image2pipe -c:v mjpeg`) into whole pictures.
 * Marker-aware, not a naive FFD8/FFD9 search: header segments are skipped by their length (so an
 * EXIF thumbnail's own SOI/EOI inside APP1 does not end the picture), and entropy-coded data is
 * scanned for FF xx where xx is neither a stuffed 00 nor a restart marker.
 */
export class JpegSplitter {
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes before a SOI that could not belong to a picture (garbage, a truncated picture). */
  skippedBytes = 0;

  constructor(private readonly maxPictureBytes = 32 * 1024 * 1024) {}

  /** Appends a chunk and returns the pictures it completed. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const pictures: Buffer[] = [];
    for (;;) {
      const start = this.buffer.indexOf(SOI);
      if (start < 0) {
        // Keep a trailing 0xFF: it may be the first half of the next SOI.
        const keep = this.buffer.length > 0 && this.buffer[this.buffer.length - 1] === 0xff ? 1 : 0;
        this.skippedBytes += this.buffer.length - keep;
        this.buffer = this.buffer.subarray(this.buffer.length - keep);
        return pictures;
      }
      if (start > 0) {
        this.skippedBytes += start;
        this.buffer = this.buffer.subarray(start);
      }
      const end = pictureEnd(this.buffer);
      if (end === "incomplete") {
        if (this.buffer.length > this.maxPictureBytes) {
          // No EOI within a sane size: drop this SOI and look for the next one.
          this.skippedBytes += 2;
          this.buffer = this.buffer.subarray(2);
          continue;
        }
        return pictures;
      }
      if (end === "invalid") {
        this.skippedBytes += 2;
        this.buffer = this.buffer.subarray(2);
        continue;
      }
      pictures.push(Buffer.from(this.buffer.subarray(0, end)));
      this.buffer = this.buffer.subarray(end);
    }
  }

  /** Bytes held for a picture not finished yet. */
  get pending(): number {
    return this.buffer.length;
  }
}

const SOI = Buffer.from([0xff, 0xd8]);

/** Index just past the EOI of the picture starting at 0, or why there is none yet. */
function pictureEnd(b: Buffer): number | "incomplete" | "invalid" {
  let i = 2;
  // Header segments up to and including SOS (multi-scan progressive pictures repeat this).
  for (;;) {
    if (i + 2 > b.length) return "incomplete";
    if (b[i] !== 0xff) return "invalid";
    let marker = b[i + 1] as number;
    while (marker === 0xff) {
      i++;
      if (i + 2 > b.length) return "incomplete";
      marker = b[i + 1] as number;
    }
    i += 2;
    if (marker === 0xd9) return i; // EOI
    if (marker === 0xd8) return "invalid"; // a second SOI: the first picture was cut off
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (i + 2 > b.length) return "incomplete";
    const length = ((b[i] as number) << 8) | (b[i + 1] as number);
    if (length < 2) return "invalid";
    i += length;
    if (marker !== 0xda) continue;
    // Entropy-coded data after SOS: ends at the next marker that is not 00 (stuffing) or RSTn.
    for (;;) {
      const ff = b.indexOf(0xff, i);
      if (ff < 0 || ff + 1 >= b.length) return "incomplete";
      const next = b[ff + 1] as number;
      if (next === 0x00 || (next >= 0xd0 && next <= 0xd7) || next === 0xff) {
        i = next === 0xff ? ff + 1 : ff + 2;
        continue;
      }
      i = ff;
      break;
    }
  }
}
