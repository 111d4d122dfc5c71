import type { EpochMembership } from "@tributary/protocol";

/** Where epochs come from: runtime's MembershipView in production, a fixed map in tests. */
export interface EpochSource {
  readonly current: EpochMembership;
  epoch(n: number): Promise<EpochMembership>;
}
