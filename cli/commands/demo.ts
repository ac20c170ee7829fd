import { resolveDemoPlan } from "../../demo/demo-plan.js";
import { runDemo } from "../../demo/run-demo.js";
import { FacefleetError } from "../errors.js";
import type { Command } from "../main.js";
import { parseNumberOption, parseOptions } from "../parse-options.js";

const help = `usage: facefleet demo [--cameras N] [--fps F] [--duration S] [--port P] [--data-dir DIR]
                      [--video FILE] [--people DIR]

Everything on one machine: a local Kafka (ports P and P+1, default 9092), the topics, a gallery of
the two people in the sample video, an agent, N looping cameras, and the recognition events printed
as they happen. Ctrl-C (or --duration) stops it and takes it all down; a Kafka that was already
running is left running.

  --cameras N      cameras replaying the video (default 2)
  --fps F          frames per second per camera (default 5)
  --duration S     stop after S seconds (default: run until Ctrl-C)
  --data-dir DIR   broker data, gallery and configs (default .facefleet/demo)
  --video FILE     default ../shared/data/face_recognition_examples/examples/short_hamilton_clip.mp4
  --people DIR     folder holding lin-manuel-miranda.png and alex-lacamoire.png (default: the video's folder)`;

export const demoCommand: Command = {
  summary: "run Kafka, an agent and looping sample cameras on this machine, printing recognitions",
  async run(args) {
    const { values } = parseOptions(args, {
      cameras: { type: "string" },
      fps: { type: "string" },
      duration: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      video: { type: "string" },
      people: { type: "string" },
      help: { type: "boolean" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const plan = resolveDemoPlan({
      cameras: parseNumberOption("cameras", values.cameras, 1, 64),
      fps: parseNumberOption("fps", values.fps, 0.1, 60),
      durationS: parseNumberOption("duration", values.duration, 1, 86_400),
      port: parseNumberOption("port", values.port, 1024, 65534),
      dataDir: values["data-dir"],
      video: values.video,
      people: values.people,
    });
    const seen = await runDemo(plan);
    if (seen.detections === 0) throw new FacefleetError("no detection came back: see the agent's lines above");
    return 0;
  },
};
