import type { FrameHeaders } from "../../protocol/frame-headers.js";
import { DecodeError, readPictureHeader } from "../../recognition/decode.js";

/**
 * A frame's picture must be what its headers promise, as the picture's own header says before any pixel is
 * decoded: the format (`jpeg`), and no wider or taller than the `width` x `height` headers (an EXIF
 * orientation of 5-8, a quarter turn, swaps them). So a PNG or a decompression bomb behind a small frame's
 * headers is refused as cheaply as a bad header, and maxFramePixels (frame-intake.ts) bounds what a decode
 * can cost. A picture smaller than its headers is taken: the headers are a bound (a producer may announce
 * the size it asked the camera for). Throws DecodeError (the DLQ's stage `decode`).
 */
export async function checkFramePicture(bytes: Buffer, headers: FrameHeaders): Promise<void> {
  const picture = await readPictureHeader(bytes);
  if (picture.format !== headers.format)
    throw new DecodeError(`cannot decode image: the picture is ${picture.format}, the format header says ${headers.format}`);
  const turned = picture.orientation >= 5 && picture.orientation <= 8;
  const [width, height] = turned ? [picture.height, picture.width] : [picture.width, picture.height];
  if (width > headers.width || height > headers.height)
    throw new DecodeError(
      `cannot decode image: the picture is ${width}x${height}, larger than the ${headers.width}x${headers.height} its headers say`,
    );
}
