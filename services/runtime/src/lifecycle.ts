import { createLogger, type Logger } from "./logger.ts";
import { withTimeout } from "./timeout.ts";
import { tuneV8ForBulkBuffers } from "./v8Tuning.ts";

/**
 * One lifecycle for every service process (EigenDA's thin main + Lodestar's one AbortSignal):
 *
 *   await runService({name: "disperser", start: async ({signal, logger}) => {
 *     const nats = await connectNats(...);     // resources in start order
 *     const grpc = createGrpcServer(...);
 *     return [{name: "nats", close: nats.close}, {name: "grpc", close: () => grpc.shutdown(5000)}];
 *   }});
 *
 * - `start` gets one AbortSignal (aborted when shutdown begins) and returns closers in start
 *   order; they run in REVERSE order (stop taking requests before closing what they use).
 *   `ctx.addCloser` registers a closer early, so a start that fails halfway still cleans up.
 * - SIGTERM / SIGINT: abort, run closers within `shutdownTimeoutMs`, exit 0; a closer that throws
 *   or a deadline miss exits 1. A second signal exits 1 at once.
 * - A failed start, an unhandled rejection or an uncaught exception: logged as fatal, closers run,
 *   exit 1. A process in an unknown state should restart, not limp on.
 */

export type Closer = { name: string; close: () => Promise<void> | void };

export type StartContext = {
  signal: AbortSignal;
  logger: Logger;
  /** Registers a closer now (runs in reverse registration order, before those returned by start). */
  addCloser(closer: Closer): void;
};

export type RunServiceOptions = {
  name: string;
  start: (ctx: StartContext) => Promise<Closer[]>;
  /** Budget for all closers together. Default 25 s (under Kubernetes' 30 s grace period). */
  shutdownTimeoutMs?: number;
  logger?: Logger;
  /** Replaced in tests; defaults to process.exit. */
  exit?: (code: number) => void;
};

export type ServiceProcess = {
  /** Resolves with the exit code once the service has stopped (before exit is called). */
  stopped: Promise<number>;
  /** Starts shutdown as a signal would. */
  shutdown(reason: string, exitCode?: number): Promise<number>;
};

export function runService(opts: RunServiceOptions): ServiceProcess {
  tuneV8ForBulkBuffers();
  const logger = opts.logger ?? createLogger({ service: opts.name });
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = opts.shutdownTimeoutMs ?? 25_000;
  const controller = new AbortController();
  const closers: Closer[] = [];
  let shuttingDown: Promise<number> | undefined;
  const progress: { current?: string } = {};
  let resolveStopped!: (code: number) => void;
  const stopped = new Promise<number>((resolve) => {
    resolveStopped = resolve;
  });

  const ctx: StartContext = {
    signal: controller.signal,
    logger,
    addCloser: (closer) => closers.push(closer),
  };

  // Assigned after the signal handlers are installed (below): a SIGTERM that arrives while start
  // runs must reach our handler, not Node's default (immediate termination without closers).
  let startPromise: Promise<void> = Promise.resolve();

  const shutdown = (reason: string, exitCode = 0): Promise<number> => {
    shuttingDown ??= (async () => {
      logger.info("Shutting down", { reason });
      controller.abort(new Error(`Shutdown: ${reason}`));
      // A shutdown during start waits for start to settle (it should bail out on the signal),
      // so the closers it returns are run too.
      const code = await withTimeout(
        (async () => {
          await startPromise.catch(() => undefined);
          return runClosers(closers, logger, progress);
        })(),
        timeoutMs,
        `not done after ${timeoutMs} ms`,
      ).then(
        (ok) => (ok ? exitCode : 1),
        (err: unknown) => {
          logger.error("Shutdown deadline exceeded", { timeoutMs, pendingCloser: progress.current, err });
          return 1;
        },
      );
      logger.info("Stopped", { exitCode: code });
      removeListeners();
      await logger.flush();
      resolveStopped(code);
      exit(code);
      return code;
    })();
    return shuttingDown;
  };

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      logger.warn("Second signal, exiting now", { signal });
      exit(1);
      return;
    }
    void shutdown(signal);
  };
  const onFatal = (kind: string) => (err: unknown) => {
    logger.fatal(kind, { err });
    void shutdown(kind, 1);
  };
  const onUnhandledRejection = onFatal("Unhandled promise rejection");
  const onUncaughtException = onFatal("Uncaught exception");
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.on("unhandledRejection", onUnhandledRejection);
  process.on("uncaughtException", onUncaughtException);
  const removeListeners = () => {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    process.off("unhandledRejection", onUnhandledRejection);
    process.off("uncaughtException", onUncaughtException);
  };

  startPromise = (async () => {
    const returned = await opts.start(ctx);
    for (const closer of returned) closers.push(closer);
  })();
  startPromise.then(
    () => {
      if (!controller.signal.aborted) logger.info("Service started", { closers: closers.map((c) => c.name) });
    },
    (err: unknown) => {
      logger.fatal("Service failed to start", { err });
      void shutdown("start failed", 1);
    },
  );

  return { stopped, shutdown };
}

/** Runs closers last-to-first; returns false if any threw (the rest still run). */
async function runClosers(
  closers: readonly Closer[],
  logger: Logger,
  progress: { current?: string },
): Promise<boolean> {
  let ok = true;
  for (const closer of [...closers].reverse()) {
    progress.current = closer.name;
    const started = performance.now();
    try {
      await closer.close();
      logger.debug("Closed", { closer: closer.name, ms: Math.round(performance.now() - started) });
    } catch (err) {
      ok = false;
      logger.error("Closer failed", { closer: closer.name, err });
    }
  }
  return ok;
}
