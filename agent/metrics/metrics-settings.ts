import { z } from "zod";

/**
 * The agent's optional `metrics` config section: its own GET /metrics (agent/metrics/metrics-server.ts), off by
 * default. No authentication: bound to the loopback address unless `host` says otherwise (0.0.0.0: every interface,
 * for a Prometheus on the LAN; the series name cameras and partitions, never people, and carry no pictures).
 */
export const agentMetricsSettingsSchema = z.strictObject({
  /** Serve GET /metrics (Prometheus text format 0.0.4). */
  enabled: z.boolean().default(false),
  /** The address to listen on: 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one interface's address. */
  host: z
    .string()
    .regex(/^[A-Za-z0-9.:_-]{1,253}$/, "must be an address or host name, e.g. 127.0.0.1 or 0.0.0.0")
    .default("127.0.0.1"),
  /** The TCP port (9464, OpenTelemetry's Prometheus exporter's default; 0: any free port, the log line says which). */
  port: z.number().int().min(0).max(65_535).default(9464),
});

export type AgentMetricsSettings = z.output<typeof agentMetricsSettingsSchema>;
