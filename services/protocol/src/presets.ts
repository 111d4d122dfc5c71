/**
 * Network presets fix the square geometry rules, so every encoder, storage shard and sampler
 * of a network derives the same square from the same blob size.
 *
 * - `devnet`: small cells (64 B up) so that even tiny test blobs make squares with many cells
 *   and exercise sampling and rebuild paths.
 * - `mainnet`: 512 B minimum cells, fewer and larger proofs per byte for production traffic.
 * Both allow k up to 128 and cells up to 2 KiB, so the largest blob is 128 * 128 * 2 KiB = 32 MiB;
 * the default limit a disperser enforces is 16 MiB.
 */
import { ProtocolError, ProtocolErrorCode } from "./errors.ts";

export interface NetworkPreset {
  /** Stable name, carried in every blob header. */
  readonly name: "devnet" | "mainnet";
  /** Numeric id used in canonical header bytes. */
  readonly id: number;
  /** Smallest cell size in bytes (power of two, multiple of 64 for the SIMD kernels). */
  readonly minCellSize: number;
  /** Largest cell size in bytes (power of two). */
  readonly maxCellSize: number;
  /** Largest original square width (power of two <= 128, the GF(2^8) bound for 2k symbols). */
  readonly maxK: number;
  /** Largest blob the geometry can hold. */
  readonly maxBlobBytes: number;
  /** Default per-network blob limit a disperser enforces (configurable up to maxBlobBytes). */
  readonly defaultMaxBlobBytes: number;
}

const MiB = 1024 * 1024;

export const PRESETS: Readonly<Record<NetworkPreset["name"], NetworkPreset>> = {
  devnet: {
    name: "devnet",
    id: 1,
    minCellSize: 64,
    maxCellSize: 2048,
    maxK: 128,
    maxBlobBytes: 32 * MiB,
    defaultMaxBlobBytes: 16 * MiB,
  },
  mainnet: {
    name: "mainnet",
    id: 2,
    minCellSize: 512,
    maxCellSize: 2048,
    maxK: 128,
    maxBlobBytes: 32 * MiB,
    defaultMaxBlobBytes: 16 * MiB,
  },
};

export function getPreset(name: string): NetworkPreset {
  const preset = (PRESETS as Record<string, NetworkPreset | undefined>)[name];
  if (preset === undefined) {
    throw new ProtocolError(ProtocolErrorCode.unknownPreset, `unknown network preset "${name}"`, {
      preset: name,
      known: Object.keys(PRESETS),
    });
  }
  return preset;
}

export function presetById(id: number): NetworkPreset {
  const preset = Object.values(PRESETS).find((p) => p.id === id);
  if (preset === undefined) {
    throw new ProtocolError(ProtocolErrorCode.unknownPreset, `unknown network preset id ${id}`, { id });
  }
  return preset;
}
