/** A decoded picture: 8-bit RGB, interleaved, rows top to bottom. */
export type RgbImage = {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
};

export type Point = { x: number; y: number };

/** Axis-aligned box in pixels of the original image: top-left corner, width, height. */
export type Box = { x: number; y: number; width: number; height: number };
