/**
 * The devnet's processes, ports and configuration, as plain data (docs/pipeline.md lists the
 * port plan). Pure: `devnet up` turns this into child processes.
 */
import { join } from "node:path";

export interface DevnetShape {
  readonly storageShards: number;
  readonly consensusShards: number;
  readonly validatorsPerShard: number;
  readonly encoders: number;
  readonly replication: number;
}

export interface DevnetUrls {
  readonly nats: string;
  readonly redis: string;
}

export interface ProcessSpec {
  /** Unique name: log file and readiness label. */
  readonly name: string;
  /** Service folder under services/. */
  readonly service: string;
  readonly env: Readonly<Record<string, string>>;
  /** Admin HTTP port serving /readyz. */
  readonly adminPort: number;
  /** gRPC port, if the process serves one. */
  readonly grpcPort: number;
}

export const DISPERSER_PORT = 7100;

/**
 * Every devnet port is a base from the port plan plus `portOffset` (default 0), so a second
 * devnet (e.g. the deploy tests' next to the e2e one) can run beside the first on one machine.
 */
export function disperserAddress(portOffset = 0): string {
  return `127.0.0.1:${DISPERSER_PORT + portOffset}`;
}

export function storageShardId(i: number): string {
  return `storage-${i}`;
}
export function consensusShardId(s: number): string {
  return `consensus-${s}`;
}
export function validatorId(s: number, v: number): string {
  return `consensus-${s}-v${v}`;
}

export function storageEndpoint(i: number, portOffset = 0): string {
  return `127.0.0.1:${7300 + i + portOffset}`;
}

export function seedFile(dataDir: string, id: string): string {
  return join(dataDir, "keys", `${id}.seed`);
}

/** Environment shared by every service: where NATS and Redis are, log level, preset. */
function common(
  prefix: string,
  urls: DevnetUrls,
  grpcPort: number,
  adminPort: number,
): Record<string, string> {
  return {
    [`${prefix}_NATS_SERVERS`]: JSON.stringify([urls.nats]),
    [`${prefix}_GRPC_HOST`]: "127.0.0.1",
    [`${prefix}_GRPC_PORT`]: String(grpcPort),
    [`${prefix}_ADMIN_PORT`]: String(adminPort),
    [`${prefix}_LOG_LEVEL`]: "info",
  };
}

export const SAMPLER_ID = "sampler-0";

/**
 * `samplerPublicKey` (hex) lets validators check the sampler's signed reports; without it they
 * accept unsigned reports with a warning.
 */
export function devnetProcesses(
  shape: DevnetShape,
  urls: DevnetUrls,
  dataDir: string,
  samplerPublicKey?: string,
  portOffset = 0,
): ProcessSpec[] {
  const specs: ProcessSpec[] = [];
  const port = (base: number) => base + portOffset;
  for (let i = 0; i < shape.storageShards; i++) {
    const p = "TRIBUTARY_STORAGE_SHARD";
    specs.push({
      name: storageShardId(i),
      service: "storage-shard",
      grpcPort: port(7300 + i),
      adminPort: port(9300 + i),
      env: {
        ...common(p, urls, port(7300 + i), port(9300 + i)),
        [`${p}_SHARD_ID`]: storageShardId(i),
        [`${p}_DATA_DIR`]: join(dataDir, storageShardId(i)),
        [`${p}_BLS_SEED_FILE`]: seedFile(dataDir, storageShardId(i)),
      },
    });
  }
  const encoders: string[] = [];
  for (let i = 0; i < shape.encoders; i++) {
    const p = "TRIBUTARY_ENCODER";
    encoders.push(`127.0.0.1:${port(7200 + i)}`);
    specs.push({
      name: `encoder-${i}`,
      service: "encoder",
      grpcPort: port(7200 + i),
      adminPort: port(9200 + i),
      env: common(p, urls, port(7200 + i), port(9200 + i)),
    });
  }
  {
    const p = "TRIBUTARY_DISPERSER";
    specs.push({
      name: "disperser",
      service: "disperser",
      grpcPort: port(DISPERSER_PORT),
      adminPort: port(9100),
      env: {
        ...common(p, urls, port(DISPERSER_PORT), port(9100)),
        [`${p}_REDIS_URL`]: urls.redis,
        [`${p}_ENCODERS`]: JSON.stringify(encoders),
        // A devnet is for trying things: unsigned dispersal is accepted (the disperser warns in
        // its log) and no account is rate-limited, so benchmarks and e2e tests measure the
        // pipeline, not a quota. Signed dispersal works as on any network.
        [`${p}_AUTH_ALLOW_ANONYMOUS`]: "true",
        [`${p}_QUOTAS_DEFAULT_BYTES_PER_SECOND`]: "0",
      },
    });
  }
  {
    const p = "TRIBUTARY_ATTESTER";
    specs.push({
      name: "attester",
      service: "attester",
      grpcPort: port(7400),
      adminPort: port(9400),
      env: { ...common(p, urls, port(7400), port(9400)), [`${p}_REDIS_URL`]: urls.redis },
    });
  }
  for (let s = 0; s < shape.consensusShards; s++) {
    for (let v = 0; v < shape.validatorsPerShard; v++) {
      const p = "TRIBUTARY_CONSENSUS_SHARD";
      const grpcPort = port(7500 + 10 * s + v);
      specs.push({
        name: validatorId(s, v),
        service: "consensus-shard",
        grpcPort,
        adminPort: grpcPort + 2000,
        env: {
          ...common(p, urls, grpcPort, grpcPort + 2000),
          [`${p}_REDIS_URL`]: urls.redis,
          [`${p}_SHARD_ID`]: consensusShardId(s),
          [`${p}_VALIDATOR_ID`]: validatorId(s, v),
          [`${p}_BLS_SEED_FILE`]: seedFile(dataDir, validatorId(s, v)),
          ...(samplerPublicKey === undefined
            ? {}
            : { [`${p}_SAMPLER_KEYS`]: JSON.stringify({ [SAMPLER_ID]: samplerPublicKey }) }),
        },
      });
    }
  }
  {
    const p = "TRIBUTARY_SAMPLER";
    specs.push({
      name: "sampler",
      service: "sampler",
      grpcPort: port(7600),
      adminPort: port(9600),
      env: {
        ...common(p, urls, port(7600), port(9600)),
        [`${p}_REDIS_URL`]: urls.redis,
        [`${p}_SAMPLER_ID`]: SAMPLER_ID,
        [`${p}_BLS_SEED_FILE`]: seedFile(dataDir, "sampler"),
      },
    });
  }
  return specs;
}
