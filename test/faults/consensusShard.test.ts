/** Hostile input to every ConsensusShard rpc (see support/consensusShardTarget.ts). */
import { ConsensusShard } from "../../proto/src/gen/tributary/consensus/v1/consensus_pb.ts";
import { startConsensusShardTarget } from "./support/consensusShardTarget.ts";
import { fuzzService } from "./support/fuzzService.ts";

fuzzService(ConsensusShard, startConsensusShardTarget);
