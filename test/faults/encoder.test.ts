/** Hostile input to the Encoder's rpc (see support/encoderTarget.ts). */
import { Encoder } from "../../proto/src/gen/tributary/encoder/v1/encoder_pb.ts";
import { startEncoderTarget } from "./support/encoderTarget.ts";
import { fuzzService } from "./support/fuzzService.ts";

fuzzService(Encoder, startEncoderTarget);
