/** Hostile input to every Attester rpc (see support/attesterTarget.ts). */
import { Attester } from "../../proto/src/gen/tributary/attester/v1/attester_pb.ts";
import { startAttesterTarget } from "./support/attesterTarget.ts";
import { fuzzService } from "./support/fuzzService.ts";

fuzzService(Attester, startAttesterTarget);
