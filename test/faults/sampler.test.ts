/** Hostile input to the Sampler's rpc (see support/samplerTarget.ts). */
import { Sampler } from "../../proto/src/gen/tributary/sampler/v1/sampler_pb.ts";
import { fuzzService } from "./support/fuzzService.ts";
import { startSamplerTarget } from "./support/samplerTarget.ts";

fuzzService(Sampler, startSamplerTarget);
