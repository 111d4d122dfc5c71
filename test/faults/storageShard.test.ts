/** Hostile input to every StorageShard rpc of a real shard on loopback (see support/storageShardTarget.ts). */
import { StorageShard } from "../../proto/src/gen/tributary/storage/v1/storage_pb.ts";
import { fuzzService } from "./support/fuzzService.ts";
import { startStorageShardTarget } from "./support/storageShardTarget.ts";

fuzzService(StorageShard, startStorageShardTarget);
