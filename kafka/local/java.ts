import { spawn } from "node:child_process";
import path from "node:path";
import { FacefleetError } from "../../core/errors.js";

/** The java executable: $JAVA_HOME/bin/java when JAVA_HOME is set, else `java` on PATH. */
export function javaExecutable(): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, "bin", "java") : "java";
}

export function javaMissing(java: string): FacefleetError {
  return new FacefleetError(
    `Java not found (tried '${java}'): install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME`,
  );
}

/** `-cp dir/*`: the JVM expands the wildcard itself (no shell involved). */
export function classpath(jarsDir: string): string {
  return path.join(jarsDir, "*");
}

/** Runs a short-lived Java main class (e.g. kafka.tools.StorageTool) and returns its stdout. */
export async function runJavaTool(jarsDir: string, log4jFile: string, args: string[]): Promise<string> {
  const java = javaExecutable();
  const child = spawn(java, ["-Xmx256m", `-Dlog4j.configuration=file:${log4jFile}`, "-cp", classpath(jarsDir), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? javaMissing(java) : error));
    child.on("close", (c) => resolve(c));
  });
  if (code !== 0) {
    const why = lastMeaningfulLine(`${stderr}\n${stdout}`) ?? `exit code ${code}`;
    throw new FacefleetError(`${args.slice(0, 2).join(" ")} failed: ${why}`);
  }
  return stdout;
}

/**
 * The line of a Java log that best says why it failed: the last "Caused by:" (the root cause of
 * a fatal exception), else the last ERROR/FATAL line or "Error..." line from the JVM, else the
 * last line. Cut to 300 characters.
 */
export function lastMeaningfulLine(text: string): string | undefined {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const pick =
    lines.filter((l) => l.startsWith("Caused by:")).at(-1) ??
    lines.filter((l) => / (ERROR|FATAL) /.test(l) || /^Error\b/.test(l) || /^Exception in thread/.test(l)).at(-1) ??
    lines.at(-1);
  if (pick === undefined) return undefined;
  // The JVM says what went wrong on the line after "Error occurred during initialization of VM".
  const next = pick.startsWith("Error occurred during initialization") ? lines[lines.lastIndexOf(pick) + 1] : undefined;
  const line = next !== undefined ? `${pick}: ${next}` : pick;
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
