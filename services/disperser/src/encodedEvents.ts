/**
 * The publishing-lane side of dispersal: EncodedEvent {header, receipts} on JetStream
 * (docs/pipeline.md: stream TRIBUTARY_ENCODED, subject tributary.encoded, work queue, read by
 * the attester's durable consumer). Small messages only: no blob bytes ever go here.
 * Each event is published with msgID = blob key hex, so a retried publish inside the stream's
 * duplicate window is stored once.
 */
import { ensureStream } from "@tributary/runtime";
import { type NatsConnection, RetentionPolicy, StorageType } from "nats";

export interface EncodedPublisher {
  /** Resolves once JetStream acknowledged (stored) the event. */
  publish(event: Uint8Array, blobKeyHex: string): Promise<void>;
}

export type EncodedEventsOptions = {
  stream: string;
  subject: string;
  replicas: number;
  publishTimeoutMs: number;
};

export async function openEncodedEvents(
  nc: NatsConnection,
  opts: EncodedEventsOptions,
): Promise<EncodedPublisher> {
  const jsm = await nc.jetstreamManager();
  await ensureStream(jsm, {
    name: opts.stream,
    subjects: [opts.subject],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    num_replicas: opts.replicas,
  });
  const js = nc.jetstream();
  return {
    publish: async (event, blobKeyHex) => {
      await js.publish(opts.subject, event, { msgID: blobKeyHex, timeout: opts.publishTimeoutMs });
    },
  };
}
