import { type DestinationStream, type Logger as PinoLogger, pino } from "pino";
import { z } from "zod";

/**
 * Structured JSON logging over pino, with a Lodestar-shaped call: `logger.info("Stored column",
 * {blobKey, column})`. The message is a constant string; values go in the context object, so log
 * lines can be grouped and searched by message. pino's printf-style interpolation is not exposed.
 * Errors go under `err` (pino's serializer keeps message, stack, code and cause).
 */

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Reusable config section: `log: logConfigSchema` in a service schema. */
export const logConfigSchema = z.strictObject({
  level: z.enum(LOG_LEVELS).default("info").describe("Minimum log level"),
});

export type LogContext = Record<string, unknown>;

export type Logger = {
  fatal(msg: string, context?: LogContext): void;
  error(msg: string, context?: LogContext): void;
  warn(msg: string, context?: LogContext): void;
  info(msg: string, context?: LogContext): void;
  debug(msg: string, context?: LogContext): void;
  trace(msg: string, context?: LogContext): void;
  isLevelEnabled(level: LogLevel): boolean;
  /** A logger for one component: every line carries `component`, plus any extra bindings. */
  child(component: string, bindings?: LogContext): Logger;
  /** Writes buffered lines out; call before exiting the process. */
  flush(): Promise<void>;
  /** The underlying pino logger, for libraries that want one. */
  readonly pino: PinoLogger;
};

export type LoggerOptions = {
  service: string;
  level?: LogLevel;
  /** Where lines go; defaults to stdout. Tests pass a stream to capture lines. */
  destination?: DestinationStream;
};

export function createLogger(opts: LoggerOptions): Logger {
  const base = pino(
    {
      level: opts.level ?? "info",
      base: { service: opts.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names instead of numbers: readable in kubectl logs and still easy to index.
      formatters: { level: (label) => ({ level: label }) },
    },
    opts.destination,
  );
  return wrap(base);
}

function wrap(p: PinoLogger): Logger {
  const at =
    (level: Exclude<LogLevel, "silent">) =>
    (msg: string, context?: LogContext): void => {
      if (context === undefined) p[level](msg);
      else p[level](context, msg);
    };
  return {
    fatal: at("fatal"),
    error: at("error"),
    warn: at("warn"),
    info: at("info"),
    debug: at("debug"),
    trace: at("trace"),
    isLevelEnabled: (level) => p.isLevelEnabled(level),
    child: (component, bindings) => wrap(p.child({ component, ...bindings })),
    flush: () => new Promise((resolve) => p.flush(() => resolve())),
    pino: p,
  };
}
