/**
 * One vitest suite per service: stand the server up, fuzz each of its rpcs in turn with
 * FUZZ_HANDLER_CASES calls (one test per rpc, so a failure names it), tear it down.
 */
import { afterAll, beforeAll, describe, it } from "vitest";
import { FUZZ_HANDLER_CASES } from "../../../proto/test/fuzz/budget.ts";
import { type ClosableTarget, type FuzzTarget, fuzzMethod } from "../../../proto/test/fuzz/handlerFuzz.ts";

export function fuzzService(service: FuzzTarget["service"], start: () => Promise<ClosableTarget>): void {
  describe(`${service.typeName}: ${FUZZ_HANDLER_CASES} hostile calls per rpc`, () => {
    let target: ClosableTarget | undefined;
    beforeAll(async () => {
      target = await start();
    });
    afterAll(async () => {
      await target?.close();
    });
    it.each(service.methods.map((m) => [m.name, m] as const))("%s", async (_name, method) => {
      await fuzzMethod(target!, method, FUZZ_HANDLER_CASES);
    });
  });
}
