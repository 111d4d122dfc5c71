import { BlobStatus } from "@tributary/proto/tributary/common/v1/blob";

const NAMES = Object.fromEntries(Object.entries(BlobStatus).map(([name, value]) => [value, name])) as Record<
  number,
  string
>;

export function statusName(status: number): string {
  return NAMES[status] ?? `STATUS_${status}`;
}

/** Progress through the happy path, for the progress bar: QUEUED .. FINALIZED -> 0.2 .. 1. */
export function statusProgress(status: number): number {
  const order = [
    BlobStatus.QUEUED,
    BlobStatus.ENCODED,
    BlobStatus.CERTIFIED,
    BlobStatus.CONFIRMED,
    BlobStatus.FINALIZED,
  ];
  const i = order.indexOf(status as (typeof order)[number]);
  return i < 0 ? 1 : (i + 1) / order.length;
}

export function isTerminal(status: number): boolean {
  return status === BlobStatus.FINALIZED || status === BlobStatus.FAILED || status === BlobStatus.EXPIRED;
}

export { BlobStatus };
