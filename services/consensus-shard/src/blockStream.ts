/**
 * The block stream of one shard (`TRIBUTARY_BLOCKS_<shardId>`), read side. Blocks are published
 * only with `expect.lastSequence = height - 1`, so a block's stream sequence IS its height: the
 * head is the last sequence, and block h is message h.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { BlockSchema, type Block as ProtoBlock } from "@tributary/proto/tributary/consensus/v1/consensus";
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "nats";
import { type ChainHead, GENESIS_HEAD } from "./chain.ts";
import { blockFromProto, type DomainBlock } from "./protoCodec.ts";

export function decodeBlock(data: Uint8Array): { proto: ProtoBlock; block: DomainBlock } {
  const proto = fromBinary(BlockSchema, data);
  return { proto, block: blockFromProto(proto) };
}

export class BlockStream {
  readonly stream: string;
  private readonly jsm: JetStreamManager;
  private readonly js: JetStreamClient;

  constructor(stream: string, modules: { jsm: JetStreamManager; js: JetStreamClient }) {
    this.stream = stream;
    this.jsm = modules.jsm;
    this.js = modules.js;
  }

  async headHeight(): Promise<number> {
    const info = await this.jsm.streams.info(this.stream);
    return info.state.last_seq;
  }

  async head(): Promise<ChainHead> {
    const height = await this.headHeight();
    if (height === 0) return GENESIS_HEAD;
    const block = await this.get(height);
    if (block === undefined) throw new Error(`block ${height} missing from ${this.stream}`);
    return { height, hash: block.block.hash };
  }

  async get(height: number): Promise<{ proto: ProtoBlock; block: DomainBlock } | undefined> {
    if (height < 1) return undefined;
    try {
      const m = await this.jsm.streams.getMessage(this.stream, { seq: height });
      return decodeBlock(m.data);
    } catch (err) {
      const e = err as { code?: string; api_error?: { err_code?: number } };
      if (e.api_error?.err_code === 10037 || e.code === "404") return undefined;
      throw err;
    }
  }

  /**
   * Blocks from `fromHeight` on, in order, then following the head until `signal` aborts
   * (an ordered consumer: ephemeral, gap-free, recreated by nats.js on any gap).
   */
  async *follow(
    fromHeight: number,
    signal: AbortSignal,
  ): AsyncGenerator<{ proto: ProtoBlock; block: DomainBlock }> {
    const consumer = await this.js.consumers.get(this.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, fromHeight),
    });
    const messages = await consumer.consume();
    const stop = () => messages.stop();
    signal.addEventListener("abort", stop, { once: true });
    try {
      for await (const m of messages) {
        if (signal.aborted) break;
        yield decodeBlock(m.data);
      }
    } finally {
      signal.removeEventListener("abort", stop);
      messages.stop();
    }
  }
}
