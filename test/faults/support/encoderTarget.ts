/**
 * A real Encoder (services/encoder, wired as main.ts wires it) on a loopback port, storing into
 * the in-memory test storage shards its integration test uses (encoder/test/support).
 */
import { randomBytes } from "node:crypto";
import { Encoder } from "../../../proto/src/gen/tributary/encoder/v1/encoder_pb.ts";
import { Code, createClient } from "../../../proto/src/index.ts";
import type { ClosableTarget } from "../../../proto/test/fuzz/handlerFuzz.ts";
import {
  encodeHeaderInit,
  startEncoder,
  startShards,
} from "../../../services/encoder/test/support/encoderHarness.ts";

/** Small enough that hostile sizes around the limit cost little. */
const MAX_BLOB_BYTES = 64 * 1024;

export async function startEncoderTarget(): Promise<ClosableTarget> {
  const { shards, epoch } = await startShards(4, { replication: 2 });
  const encoder = await startEncoder({ current: epoch }, { maxBlobBytes: MAX_BLOB_BYTES });
  const client = createClient(Encoder, encoder.endpoint);
  const namespace = Uint8Array.from([0x3c, ...randomBytes(15)]);
  const header = encodeHeaderInit(namespace);
  const data = randomBytes(500);

  return {
    address: encoder.endpoint,
    service: Encoder,
    pools: {
      // The largest blob accepted (maxBlobBytes below) and one byte more.
      bytes: [
        namespace,
        new Uint8Array(20),
        data,
        new Uint8Array(MAX_BLOB_BYTES),
        new Uint8Array(MAX_BLOB_BYTES + 1),
      ],
      strings: ["devnet"],
      messages: new Map([
        ["tributary.common.v1.BlobHeader", [header, { ...header, epoch: BigInt(epoch.epoch) }]],
      ]),
    },
    methods: {
      encodeBlob: {
        // UNAVAILABLE: too few columns durable (the test shards stay up, but it is the contract).
        // UNAUTHENTICATED: an account with a missing or fuzzed signature.
        allowed: [
          Code.OK,
          Code.INVALID_ARGUMENT,
          Code.UNAUTHENTICATED,
          Code.FAILED_PRECONDITION,
          Code.UNAVAILABLE,
        ],
        seeds: [[{ header, data }]],
      },
    },
    async probe() {
      const res = await client.encodeBlob({ header, data });
      if (res.blobKey.length !== 32 || res.storedColumnCount === 0)
        throw new Error("probe: EncodeBlob failed");
    },
    async close() {
      client.$close();
      await encoder.stop();
      for (const s of shards) s.stop();
    },
  };
}
