/** The audit log (coordinator/audit/): opened first, so every audited route (api/audited-routes.ts) has it; GET /api/audit. */
import { join } from "node:path";
import type { ApiRoute } from "../api/route.js";
import { auditRoutes } from "../api/routes-audit.js";
import { AuditLog } from "../audit/audit-log.js";
import type { Feature, FeatureContext } from "../feature.js";

export const AUDIT_FILE = "audit.jsonl";

export class AuditFeature implements Feature {
  readonly name = "audit";
  private opened: AuditLog | undefined;

  get log(): AuditLog {
    if (!this.opened) throw new Error("audit: not started");
    return this.opened;
  }

  async start({ config, log }: FeatureContext): Promise<void> {
    this.opened = await AuditLog.open({ path: join(config.stateDir, AUDIT_FILE), log });
  }

  routes(): ApiRoute[] {
    return auditRoutes(this.log);
  }

  async stop(): Promise<void> {
    await this.opened?.stop();
  }
}
