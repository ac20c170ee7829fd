import { homedir } from "node:os";
import { join } from "node:path";

/** The upstream of the demo's sample pictures and video: ageitgey/face_recognition (MIT), at a pinned commit. */
export const sampleUpstream = {
  repository: "https://github.com/ageitgey/face_recognition",
  commit: "2e2dccea9dd0ce730c8d464d0f67c6eebb40c9d1",
  licence: "MIT",
} as const;

/** Where the files are downloaded from: the repository's examples/ folder at that commit, file name appended. */
export const sampleBaseUrl = `https://raw.githubusercontent.com/ageitgey/face_recognition/${sampleUpstream.commit}/examples/`;

/**
 * The files `facefleet demo` needs: the two people it enrolls and the video they appear in, with the sha256 and
 * size of the upstream files (the same bytes as the shared data folder's face_recognition_examples/examples).
 */
export const sampleAssets = [
  { file: "lin-manuel-miranda.png", sha256: "1f29c132951d7741431b32aaaf569d79a11bc690b04b843f12b7e306f080599a", bytes: 504_208 },
  { file: "alex-lacamoire.png", sha256: "affd4bba70510b20286c5b392e6a73ef149f4dff02105a09e19ce80d7d138707", bytes: 182_581 },
  { file: "short_hamilton_clip.mp4", sha256: "0b5ff4c55a4cd69f79956f312681730881fe1e2a9e6146e75c31636dffcc7e28", bytes: 613_928 },
] as const;

export const demoVideoFile = "short_hamilton_clip.mp4";
export const demoPeopleFiles = ["lin-manuel-miranda.png", "alex-lacamoire.png"] as const;

/** Where fetched samples live: $XDG_DATA_HOME/facefleet/samples, else ~/.local/share/facefleet/samples. */
export function userSampleDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "facefleet", "samples");
}
