/** Hostile input to every Disperser rpc, the public API (see support/disperserTarget.ts). */
import { Disperser } from "../../proto/src/gen/tributary/disperser/v1/disperser_pb.ts";
import { startDisperserTarget } from "./support/disperserTarget.ts";
import { fuzzService } from "./support/fuzzService.ts";

fuzzService(Disperser, startDisperserTarget);
