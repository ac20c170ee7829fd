import { FacefleetError } from "../../core/errors.js";
import { resolveDemoPlan } from "../../demo/demo-plan.js";
import { runDemo } from "../../demo/run-demo.js";
import type { Command } from "../main.js";
import { parseNumberOption, parseOptions } from "../parse-options.js";

const help = `usage: facefleet demo [--cameras N] [--agents N] [--fps F] [--duration S] [--port P] [--http-port P]
                      [--mqtt-port P] [--password PW] [--data-dir DIR] [--video FILE] [--people DIR]

Everything on one machine: a local Kafka (ports P and P+1, default 9092), the topics, a gallery of
the two people in the sample video, the coordinator (embedded MQTT broker, partition planner, API and
dashboard), agents following its plan, N looping cameras, and the recognition events printed as they
happen. The dashboard URL and password are printed. Ctrl-C (or --duration) stops it and takes it all
down; a Kafka that was already running is left running.

The sample people and video come from the shared data folder when there is one ($FACEFLEET_SHARED, else
../shared beside the checkout: face_recognition_examples/examples); otherwise they are downloaded once
(sha256-checked, resumable) from github.com/ageitgey/face_recognition (MIT) into
$XDG_DATA_HOME/facefleet/samples (default ~/.local/share/facefleet/samples). The YuNet detector is
downloaded like \`facefleet models fetch\` does when no model directory has it.

  --cameras N      cameras replaying the video (default 2)
  --agents N       agent processes (default 2)
  --http-port P    the coordinator's API and dashboard (default 8080)
  --mqtt-port P    the coordinator's embedded MQTT broker (default 1883)
  --password PW    the dashboard's login password (default facefleet)
  --fps F          frames per second per camera (default 5)
  --duration S     stop after S seconds (default: run until Ctrl-C)
  --data-dir DIR   broker data, gallery and configs (default .facefleet/demo)
  --video FILE     the looping video (default: short_hamilton_clip.mp4 of the samples)
  --people DIR     folder holding lin-manuel-miranda.png and alex-lacamoire.png (default: the samples)`;

export const demoCommand: Command = {
  summary: "run Kafka, the coordinator and dashboard, agents and looping sample cameras on this machine",
  async run(args) {
    const { values } = parseOptions(args, {
      cameras: { type: "string" },
      agents: { type: "string" },
      "http-port": { type: "string" },
      "mqtt-port": { type: "string" },
      password: { type: "string" },
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
    const plan = await resolveDemoPlan({
      cameras: parseNumberOption("cameras", values.cameras, 1, 64),
      agents: parseNumberOption("agents", values.agents, 1, 16),
      httpPort: parseNumberOption("http-port", values["http-port"], 1024, 65535),
      mqttPort: parseNumberOption("mqtt-port", values["mqtt-port"], 1024, 65535),
      password: values.password,
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
