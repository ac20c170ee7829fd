import { existsSync } from "node:fs";
import { join } from "node:path";
import { downloadVerified } from "../models/verified-download.js";
import { sha256File } from "../models/verify-file.js";
import { sampleAssets, sampleBaseUrl } from "./sample-assets.js";

export type FetchSamplesOptions = {
  /** Destination folder (the demo uses userSampleDir()). */
  dir: string;
  /** Where the files are served, file name appended; only tests change it (a loopback server). */
  baseUrl?: string;
  /** Progress lines ("short_hamilton_clip.mp4: 40%", "... ok"). */
  say?: (line: string) => void;
};

/**
 * Makes sure every sample asset is in DIR with its sha256: a file already there and intact is kept, any other
 * is downloaded (resumable, sha256-checked, renamed into place: models/verified-download.ts). Returns the
 * files it downloaded. Fails with one line naming the URL on the first file that cannot be had.
 */
export async function fetchSamples({ dir, baseUrl = sampleBaseUrl, say = () => {} }: FetchSamplesOptions): Promise<string[]> {
  const downloaded: string[] = [];
  for (const asset of sampleAssets) {
    const target = join(dir, asset.file);
    if (existsSync(target) && (await sha256File(target)) === asset.sha256) continue;
    const url = new URL(asset.file, baseUrl).href;
    let lastTenth = -1;
    await downloadVerified({ url, sha256: asset.sha256, bytes: asset.bytes }, target, (received, total) => {
      const tenth = total ? Math.floor((10 * received) / total) : 0;
      if (tenth > lastTenth && tenth < 10) {
        lastTenth = tenth;
        say(`${asset.file}: ${tenth * 10}% of ${(asset.bytes / 1e6).toFixed(1)} MB`);
      }
    });
    say(`${asset.file}: done (sha256 ok)`);
    downloaded.push(asset.file);
  }
  return downloaded;
}
