import type { Box, Point } from "./image.js";

/** A detected face in original image pixels. Landmarks: right eye, left eye, nose tip, right and left mouth corner. */
export type DetectedFace = {
  box: Box;
  score: number;
  landmarks: [Point, Point, Point, Point, Point];
};
