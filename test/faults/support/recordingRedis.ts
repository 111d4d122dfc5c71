/**
 * Redis keys written by code under test, for cleanup: a proxy over an ioredis client that notes
 * the key of every write it forwards. The disperser writes request and blob keys whose names
 * derive from fuzzed input, so the test cannot know them in advance, and must not scan for them:
 * another engineer's devnet may share this Redis.
 */
import type { RedisHandle } from "../../../services/runtime/src/index.ts";

type Redis = RedisHandle["redis"];

/** Commands whose first argument is the one key they write. */
const WRITES = new Set(["set", "hset", "zadd", "tributaryTransition"]);

export function recordingRedis(redis: Redis, written: Set<string>): Redis {
  return new Proxy(redis, {
    get(target, property, _receiver) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && WRITES.has(property)) {
        return (key: string, ...rest: unknown[]) => {
          written.add(key);
          return value.call(target, key, ...rest);
        };
      }
      return value.bind(target);
    },
  });
}

/** Deletes `keys` in batches; throws if any is still there after (a write the proxy missed). */
export async function deleteKeys(redis: Redis, keys: Iterable<string>): Promise<void> {
  const all = [...keys];
  for (let i = 0; i < all.length; i += 500) await redis.del(...all.slice(i, i + 500));
  for (let i = 0; i < all.length; i += 500) {
    const left = await redis.exists(...all.slice(i, i + 500));
    if (left > 0) throw new Error(`${left} Redis keys written by the test are still there`);
  }
}
