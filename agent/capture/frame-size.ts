/**
 * Width and height of a JPEG from its SOF marker, without decoding: walk the marker segments from
 * SOI until a start-of-frame (SOF0..SOF15 except DHT C4, JPG C8, DAC CC). Undefined when the bytes
 * are not a JPEG or end before the SOF.
 */
export function jpegSize(jpeg: Uint8Array): { width: number; height: number } | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 4 <= jpeg.length) {
    if (jpeg[i] !== 0xff) return undefined;
    let marker = jpeg[i + 1] as number;
    // Fill bytes: any number of 0xFF may precede a marker.
    while (marker === 0xff && i + 2 < jpeg.length) {
      i++;
      marker = jpeg[i + 1] as number;
    }
    i += 2;
    // Markers without a length: TEM, RSTn, SOI.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue;
    if (marker === 0xd9 || marker === 0xda) return undefined; // EOI or SOS before any SOF
    if (i + 2 > jpeg.length) return undefined;
    const length = ((jpeg[i] as number) << 8) | (jpeg[i + 1] as number);
    if (length < 2) return undefined;
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      // length(2) precision(1) height(2) width(2)
      if (i + 7 > jpeg.length) return undefined;
      const height = ((jpeg[i + 3] as number) << 8) | (jpeg[i + 4] as number);
      const width = ((jpeg[i + 5] as number) << 8) | (jpeg[i + 6] as number);
      if (width === 0 || height === 0) return undefined;
      return { width, height };
    }
    i += length;
  }
  return undefined;
}
