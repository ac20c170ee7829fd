/**
 * Partition ownership by the coordinator's plan (docs/partition-assignment.md).
 *
 * - `planAssigner`: a kafkajs PartitionAssigner. Every member advertises `{agentId, planVersion}` in
 *   its protocol userData; at the group leader `assign()` gives each partition to the member of the
 *   plan's owner, and spreads the rest (owner not a member, or no plan yet) deterministically over the
 *   members, so every partition has exactly one owner in the group whatever the plan says.
 * - `PlanOwnership`: the worker's PartitionOwnership for `worker.assignment: "plan"`. When a newer plan
 *   arrives it describes the group, computes what `assign()` would give every member under that plan,
 *   and, only when that differs from what the members hold, makes one affected agent leave and rejoin
 *   (consumer stop → commit → LeaveGroup, then run → JoinGroup: a rebalance, and the leader's
 *   assign() reads the new plan). The other affected agents are backups after `backupDelayMs` each.
 */
import kafkajs, { type Admin, type Assigner, type Consumer, type Kafka, type PartitionAssigner } from "kafkajs";
import type { PartitionPlan } from "../../protocol/plan.js";
import { topics as facefleetTopics } from "../../protocol/topics.js";
import { PlanFollower, type PlanSource } from "../plan/plan-follower.js";
import type { OwnershipControl, PartitionOwnership } from "./assignment.js";

const { AssignerProtocol } = kafkajs;

export const PLAN_ASSIGNER_NAME = "facefleet-plan";
const NO_PLAN = -1;

/** What each member advertises in its JoinGroup metadata. */
export type PlanMemberData = { agentId: string; planVersion: number };
/** What the leader writes into each member's assignment. */
export type PlanAssignmentData = { planVersion: number };

export type PlanMember = { memberId: string; agentId: string };

/**
 * The mapping `assign()` makes, pure: partition -> member. Plan owners that are members get their
 * partitions (with two members of one agent id, the first by member id); every other partition goes
 * to the member holding the fewest so far (ties: agent id, then member id), in partition order.
 * No plan: the same spread over all partitions. Members: deterministic whatever their order.
 */
export function planAssignment(
  plan: Pick<PartitionPlan, "owners"> | undefined,
  members: PlanMember[],
  partitions: number[],
): Map<string, number[]> {
  const sorted = [...members].sort((a, b) => (a.agentId === b.agentId ? cmp(a.memberId, b.memberId) : cmp(a.agentId, b.agentId)));
  const result = new Map<string, number[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return result;
  const byAgent = new Map<string, string>();
  for (const m of sorted) if (!byAgent.has(m.agentId)) byAgent.set(m.agentId, m.memberId);
  const orphans: number[] = [];
  for (const partition of [...new Set(partitions)].sort((a, b) => a - b)) {
    const owner = plan?.owners[String(partition)];
    const member = owner === undefined ? undefined : byAgent.get(owner);
    if (member === undefined) orphans.push(partition);
    else result.get(member)?.push(partition);
  }
  for (const partition of orphans) {
    let best = sorted[0] as PlanMember;
    for (const m of sorted) if ((result.get(m.memberId)?.length ?? 0) < (result.get(best.memberId)?.length ?? 0)) best = m;
    result.get(best.memberId)?.push(partition);
  }
  for (const list of result.values()) list.sort((a, b) => a - b);
  return result;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function encodeMemberData(data: PlanMemberData): Buffer {
  return Buffer.from(JSON.stringify(data));
}

/** A member's userData; a member without ours (another assigner, garbage) counts as its member id. */
export function decodeMemberData(memberId: string, metadata: Buffer): PlanMemberData {
  try {
    const decoded = AssignerProtocol.MemberMetadata.decode(metadata);
    const data = JSON.parse(String(decoded?.userData ?? "")) as Partial<PlanMemberData>;
    if (typeof data.agentId === "string" && data.agentId.length > 0)
      return { agentId: data.agentId, planVersion: typeof data.planVersion === "number" ? data.planVersion : NO_PLAN };
  } catch {}
  return { agentId: memberId, planVersion: NO_PLAN };
}

export type PlanAssignerOptions = {
  agentId: string;
  plan: PlanSource & { waitForVersion?(version: number, timeoutMs: number): Promise<boolean> };
  /** The topic whose partitions follow the plan; others are spread. Default facefleet.frames. */
  topic?: string;
  /** At the leader: how long assign() waits for a plan version a member has already seen. */
  leaderWaitMs?: number;
  log?: (line: string) => void;
  /** Each assignment the leader makes (for logs and tests). */
  onAssign?: (note: { planVersion: number; assignment: Record<string, number[]>; members: PlanMember[] }) => void;
};

/** The kafkajs assigner: see the file comment. */
export function planAssigner(options: PlanAssignerOptions): PartitionAssigner {
  const planTopic = options.topic ?? facefleetTopics.frames;
  return ({ cluster }): Assigner => ({
    name: PLAN_ASSIGNER_NAME,
    version: 1,
    protocol: ({ topics }) => ({
      name: PLAN_ASSIGNER_NAME,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: encodeMemberData({ agentId: options.agentId, planVersion: options.plan.current()?.version ?? NO_PLAN }),
      }),
    }),
    async assign({ members, topics }) {
      const decoded = members.map((m) => ({ memberId: m.memberId, ...decodeMemberData(m.memberId, m.memberMetadata) }));
      // A member that already saw a newer plan (it may be the one that asked for this rebalance):
      // wait a little for ours to catch up rather than assign by an older one.
      const newest = Math.max(NO_PLAN, ...decoded.map((m) => m.planVersion));
      if ((options.plan.current()?.version ?? NO_PLAN) < newest && options.plan.waitForVersion) {
        const caughtUp = await options.plan.waitForVersion(newest, options.leaderWaitMs ?? 3000);
        if (!caughtUp)
          options.log?.(
            `leader: plan version ${newest} not seen within ${options.leaderWaitMs ?? 3000} ms; assigning by ${options.plan.current()?.version ?? "no plan"}`,
          );
      }
      const plan = options.plan.current();
      const byMember = new Map<string, Record<string, number[]>>(decoded.map((m) => [m.memberId, {}]));
      let planned: Record<string, number[]> = {};
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
        const mapping = planAssignment(topic === planTopic ? plan : undefined, decoded, partitions);
        for (const [memberId, list] of mapping) {
          const slot = byMember.get(memberId);
          if (slot && list.length > 0) slot[topic] = list;
        }
        if (topic === planTopic) planned = Object.fromEntries(decoded.map((m) => [m.agentId, mapping.get(m.memberId) ?? []]));
      }
      const planVersion = plan?.version ?? NO_PLAN;
      options.onAssign?.({ planVersion, assignment: planned, members: decoded });
      options.log?.(
        `leader: assigned ${planTopic} by ${plan ? `plan version ${planVersion}` : "spread (no plan yet)"}: ${Object.entries(planned)
          .map(([agent, list]) => `${agent}=[${list.join(",")}]`)
          .join(" ")}`,
      );
      return [...byMember].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment,
          userData: Buffer.from(JSON.stringify({ planVersion } satisfies PlanAssignmentData)),
        }),
      }));
    },
  });
}

/** The group as it stands: members with their agent ids and what they hold of `topic`. */
export type GroupView = { members: (PlanMember & { holds: number[]; planVersion: number })[]; partitions: number[] };

export async function describeGroup(admin: Admin, groupId: string, topic: string): Promise<GroupView> {
  const [{ groups }, metadata] = await Promise.all([admin.describeGroups([groupId]), admin.fetchTopicMetadata({ topics: [topic] })]);
  const group = groups[0];
  const members = (group?.state === "Stable" ? group.members : []).map((m) => {
    const data = decodeMemberData(m.memberId, m.memberMetadata);
    let holds: number[] = [];
    let planVersion = NO_PLAN;
    try {
      const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      holds = [...(assignment?.assignment[topic] ?? [])].sort((a, b) => a - b);
      planVersion = (JSON.parse(String(assignment?.userData ?? "")) as PlanAssignmentData).planVersion ?? NO_PLAN;
    } catch {}
    return { memberId: m.memberId, agentId: data.agentId, holds, planVersion };
  });
  return { members, partitions: (metadata.topics[0]?.partitions ?? []).map((p) => p.partitionId) };
}

/** The agents whose slice under `plan` differs from what they hold (sorted by agent id). */
export function affectedAgents(plan: PartitionPlan, view: GroupView): string[] {
  const expected = planAssignment(plan, view.members, view.partitions);
  return view.members
    .filter((m) => (expected.get(m.memberId) ?? []).join(",") !== m.holds.join(","))
    .map((m) => m.agentId)
    .sort(cmp);
}

export type PlanOwnershipOptions = {
  kafka: Kafka;
  agentId: string;
  groupId: string;
  /** Default: a PlanFollower of the facefleet.plan topic, started by `prepare()`. */
  plan?: PlanFollower;
  topic?: string;
  /** An affected agent of rank r (by agent id) rejoins after r × this, unless the group already changed. */
  backupDelayMs?: number;
  leaderWaitMs?: number;
  /** How long start-up may take to read the plan topic. */
  loadTimeoutMs?: number;
  log?: (line: string) => void;
};

export type RebalanceNote = { planVersion: number; startedAt: number; rejoinedAt: number; reason: string };

/** `worker.assignment: "plan"`: see the file comment. */
export class PlanOwnership implements PartitionOwnership {
  readonly kind = "coordinator-plan";
  readonly plan: PlanFollower;
  /** Rejoins this agent made, with their pause (stop → joined again). */
  readonly rebalances: RebalanceNote[] = [];
  private readonly topic: string;
  private readonly log: (line: string) => void;
  private readonly ownsFollower: boolean;
  private readonly assigner: PartitionAssigner;
  private admin: Admin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> = Promise.resolve();
  private tries = new Map<number, number>();
  private detached = false;

  constructor(private readonly options: PlanOwnershipOptions) {
    this.log = options.log ?? (() => {});
    this.topic = options.topic ?? facefleetTopics.frames;
    this.ownsFollower = options.plan === undefined;
    this.plan = options.plan ?? new PlanFollower(this.log);
    this.assigner = planAssigner({
      agentId: options.agentId,
      plan: this.plan,
      topic: this.topic,
      leaderWaitMs: options.leaderWaitMs,
      log: this.log,
    });
  }

  consumerConfig() {
    return { groupId: this.options.groupId, partitionAssigners: [this.assigner] };
  }

  /** Reads the plan topic to its end (when this ownership follows it itself) before the consumer joins. */
  async prepare(): Promise<void> {
    if (this.ownsFollower)
      await this.plan.followKafka(this.options.kafka, this.options.agentId, { loadTimeoutMs: this.options.loadTimeoutMs });
    this.log(`partition assignment by the coordinator's plan (${this.plan.describe()})`);
  }

  attach(consumer: Consumer, control?: OwnershipControl): () => void {
    this.detached = false;
    const offChange = this.plan.onChange(() => this.schedule(control, 0));
    const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
      const last = this.rebalances.at(-1);
      if (last && last.rejoinedAt === 0) last.rejoinedAt = Date.now();
      // The leader may have assigned by an older plan (it had not seen ours yet): check again.
      this.schedule(control, 500);
    });
    return () => {
      this.detached = true;
      offChange();
      offJoin();
      clearTimeout(this.timer);
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
    };
  }

  /** Stops the plan follower this ownership started (if it did). */
  async close(): Promise<void> {
    if (this.ownsFollower) await this.plan.stop();
  }

  private schedule(control: OwnershipControl | undefined, delayMs: number): void {
    if (!control || this.detached) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.checking = this.checking
        .then(() => this.check(control))
        .catch((error: Error) => this.log(`plan check failed: ${error.message}`));
    }, delayMs);
    this.timer.unref();
  }

  /** Does the group hold what the newest plan says? If not, rejoin when it is this agent's turn. */
  private async check(control: OwnershipControl, turn = 0): Promise<void> {
    const plan = this.plan.current();
    if (!plan || this.detached) return;
    if (!this.admin) {
      this.admin = this.options.kafka.admin();
      await this.admin.connect();
    }
    const view = await describeGroup(this.admin, this.options.groupId, this.topic);
    if (view.members.length === 0) return this.schedule(control, 1000); // rebalancing now: look again after it
    const affected = affectedAgents(plan, view);
    const rank = affected.indexOf(this.options.agentId);
    if (rank < 0) return;
    const tries = this.tries.get(plan.version) ?? 0;
    if (tries >= 3) return; // the leader cannot reach this plan (logged there); the next plan or join tries again
    if (rank > turn) {
      // A backup: the first affected agent should have done it by then.
      clearTimeout(this.timer);
      this.timer = setTimeout(
        () => {
          this.checking = this.checking
            .then(() => this.check(control, rank))
            .catch((error: Error) => this.log(`plan check failed: ${error.message}`));
        },
        (rank - turn) * (this.options.backupDelayMs ?? 3000),
      );
      this.timer.unref();
      return;
    }
    this.tries.set(plan.version, tries + 1);
    const holds = view.members.find((m) => m.agentId === this.options.agentId)?.holds ?? [];
    const reason = `plan version ${plan.version}: holds [${holds.join(",")}], affected ${affected.join(",")}`;
    this.log(`rejoining the group for ${reason}`);
    const note: RebalanceNote = { planVersion: plan.version, startedAt: Date.now(), rejoinedAt: 0, reason };
    this.rebalances.push(note);
    await control.rejoin(reason);
  }
}
