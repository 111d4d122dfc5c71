/**
 * Devnet identities: one BLS seed file per storage shard, validator and the sampler, kept in
 * the data directory so a devnet restarted on the same directory keeps its keys, and the epoch
 * membership built from them.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  type EpochMembership,
  proveProofOfPossession,
  publicKeyOf,
  secretKeyFromSeed,
} from "@tributary/protocol";
import {
  consensusShardId,
  type DevnetShape,
  seedFile,
  storageEndpoint,
  storageShardId,
  validatorId,
} from "./topology.ts";

async function loadOrCreateSeed(path: string): Promise<Uint8Array> {
  if (existsSync(path)) return new Uint8Array(Buffer.from((await readFile(path, "utf8")).trim(), "hex"));
  await mkdir(dirname(path), { recursive: true });
  const seed = randomBytes(32);
  await writeFile(path, `${seed.toString("hex")}\n`, { mode: 0o600 });
  return seed;
}

async function identity(dataDir: string, id: string) {
  const sk = secretKeyFromSeed(await loadOrCreateSeed(seedFile(dataDir, id)));
  return { id, blsPublicKey: publicKeyOf(sk), weight: 1, proofOfPossession: proveProofOfPossession(sk) };
}

/** The sampler's public key (hex), for the validators that check its reports. */
export async function samplerPublicKeyHex(dataDir: string): Promise<string> {
  return Buffer.from((await identity(dataDir, "sampler")).blsPublicKey).toString("hex");
}

export async function devnetMembership(
  dataDir: string,
  shape: DevnetShape,
  epoch: number,
  portOffset = 0,
): Promise<EpochMembership> {
  await identity(dataDir, "sampler");
  const storageShards = [];
  for (let i = 0; i < shape.storageShards; i++) {
    storageShards.push({
      ...(await identity(dataDir, storageShardId(i))),
      endpoint: storageEndpoint(i, portOffset),
    });
  }
  const consensusShards = [];
  for (let s = 0; s < shape.consensusShards; s++) {
    const validators = [];
    for (let v = 0; v < shape.validatorsPerShard; v++)
      validators.push(await identity(dataDir, validatorId(s, v)));
    consensusShards.push({ id: consensusShardId(s), validators });
  }
  return { epoch, replication: shape.replication, columnMargin: 0, storageShards, consensusShards };
}
