import { existsSync } from "node:fs";
import { z } from "zod";

export const executionProviderSchema = z.enum(["auto", "cpu", "cuda", "tensorrt", "xnnpack"]);
export type ExecutionProviderChoice = z.infer<typeof executionProviderSchema>;
export const precisionSchema = z.enum(["auto", "fp32", "int8"]);
export type PrecisionChoice = z.infer<typeof precisionSchema>;

/** A Jetson (L4T) announces itself in /etc/nv_tegra_release. */
export function isJetson(): boolean {
  return existsSync("/etc/nv_tegra_release");
}

/** Execution providers to try, best first; the CPU provider always closes the list. */
export function providerCandidates(choice: ExecutionProviderChoice): string[] {
  if (choice === "cpu") return ["cpu"];
  if (choice !== "auto") return [choice, "cpu"];
  if (isJetson()) return ["tensorrt", "cuda", "cpu"];
  if (existsSync("/dev/nvidia0")) return ["cuda", "cpu"];
  return ["cpu"];
}

/**
 * int8 on CPUs (x86 and ARM), fp32 where an accelerator runs the model. The int8 SFace costs 0.04 pt of LFW
 * verification (99.42 % against 99.46 %, bench/results/accuracy.md), runs 1.9x faster on one x86 core (4.7 against
 * 9.0 ms a face, bench/results/sface-speed.md) and `identify` peaks 73 MiB lower with it (identify-memory.md), so
 * fp32 on a CPU is a choice (`--precision fp32`), not the default. The detector is the exception on x86:
 * detectorPrecision keeps its fp32 file there.
 */
export function resolvePrecision(choice: PrecisionChoice, provider: string): "fp32" | "int8" {
  if (choice !== "auto") return choice;
  return provider === "cpu" || provider === "xnnpack" ? "int8" : "fp32";
}

/**
 * The detector's precision: int8 only on ARM. On x86 the int8 YuNet measured slower than fp32 (10.7-12.3 ms
 * against 8.1-8.4 ms per 640x384 frame on an AVX-512 Xeon, bench/results/throughput.md), because its
 * activations are small and the quantize/dequantize steps cost more than they save.
 */
export function detectorPrecision(precision: "fp32" | "int8", arch = process.arch): "fp32" | "int8" {
  return precision === "int8" && (arch === "arm64" || arch === "arm") ? "int8" : "fp32";
}
