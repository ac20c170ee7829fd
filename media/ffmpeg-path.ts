/** The ffmpeg binary every part runs (capture, the re-stream): `$FACEFLEET_FFMPEG`, else `ffmpeg` on the PATH. */
export const ffmpegPath = () => process.env.FACEFLEET_FFMPEG || "ffmpeg";
