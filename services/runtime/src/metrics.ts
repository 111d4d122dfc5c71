import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * One prom-client Registry per service, and factories that enforce the naming rule
 * `tributary_<service>_<what>_<unit>`:
 * - lowercase snake_case; the service part is the service name with `-` -> `_`;
 * - counters end in `_total` (and only counters do);
 * - gauges and histograms end in a unit from METRIC_UNITS (base units: seconds, bytes, ratio;
 *   or a plural noun for counts of things, e.g. `_pending_blobs`);
 * - `_count`, `_sum`, `_bucket` are reserved for histogram series; `_ms`/`_milliseconds` are
 *   refused so durations are always seconds.
 * Histograms must be given explicit buckets: prom-client's defaults fit web latencies, not ours.
 *
 * Services build one typed tree with these (`type XMetrics = ReturnType<typeof createXMetrics>`)
 * and inject it; metric names are then spelled in full in one file, where review sees renames.
 */

export const METRIC_UNITS = [
  "seconds",
  "bytes",
  "ratio",
  "info",
  // Counts of things (gauges): the plural noun is the unit.
  "blobs",
  "batches",
  "blocks",
  "cells",
  "certificates",
  "columns",
  "connections",
  "entries",
  "epochs",
  "items",
  "messages",
  "peers",
  "requests",
  "samples",
  "shards",
  "streams",
  "validators",
  "workers",
  "height",
] as const;

const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const LABEL = /^[a-z][a-z0-9_]*$/;
const RESERVED_SUFFIXES = ["_count", "_sum", "_bucket", "_ms", "_milliseconds"];

export type MetricKind = "counter" | "gauge" | "histogram";

export function metricPrefix(service: string): string {
  return `tributary_${service.replace(/-/g, "_")}_`;
}

/** Throws an Error naming the broken rule; returns nothing when `name` is valid. */
export function assertMetricName(service: string, kind: MetricKind, name: string): void {
  const prefix = metricPrefix(service);
  const fail = (why: string): never => {
    throw new Error(`Invalid metric name "${name}" (${kind}): ${why}`);
  };
  if (!SNAKE.test(name)) fail("must be lowercase snake_case");
  if (!name.startsWith(prefix)) fail(`must start with "${prefix}"`);
  const rest = name.slice(prefix.length);
  // <what>_<unit>: at least two parts after the prefix.
  if (!rest.includes("_")) fail(`must be ${prefix}<what>_<unit>`);
  for (const suffix of RESERVED_SUFFIXES) {
    if (name.endsWith(suffix)) fail(`suffix "${suffix}" is reserved or not a base unit (use _seconds)`);
  }
  if (kind === "counter") {
    if (!name.endsWith("_total")) fail(`counters must end in "_total"`);
  } else {
    if (name.endsWith("_total")) fail(`only counters may end in "_total"`);
    const unit = METRIC_UNITS.find((u) => name.endsWith(`_${u}`));
    if (unit === undefined) fail(`must end in a unit: ${METRIC_UNITS.map((u) => `_${u}`).join(", ")}`);
  }
}

function assertLabelNames(name: string, labelNames: readonly string[]): void {
  for (const label of labelNames) {
    if (!LABEL.test(label) || label.startsWith("__")) {
      throw new Error(`Invalid label name "${label}" on metric "${name}": must be lowercase snake_case`);
    }
  }
}

export type MetricOptions<L extends string> = {
  name: string;
  help: string;
  labelNames?: readonly L[];
};

export type HistogramOptions<L extends string> = MetricOptions<L> & {
  /** Upper bounds, strictly increasing. Required: pick them for the quantity measured. */
  buckets: readonly number[];
};

export type GaugeOptions<L extends string> = MetricOptions<L> & {
  /** Called on every scrape before the value is read: for values cheaper to read than to track. */
  collect?: (gauge: Gauge<L>) => void | Promise<void>;
};

export type Metrics = {
  readonly service: string;
  readonly registry: Registry;
  counter<L extends string = never>(opts: MetricOptions<L>): Counter<L>;
  gauge<L extends string = never>(opts: GaugeOptions<L>): Gauge<L>;
  histogram<L extends string = never>(opts: HistogramOptions<L>): Histogram<L>;
};

export type MetricsOptions = {
  service: string;
  /** Node process metrics (CPU, memory, event loop lag, GC), prefixed with the service. Default true. */
  defaultMetrics?: boolean;
};

export function createMetrics(opts: MetricsOptions): Metrics {
  const registry = new Registry();
  const { service } = opts;
  if (opts.defaultMetrics ?? true) {
    const prefix = metricPrefix(service);
    collectDefaultMetrics({ register: registry, prefix });
    // prom-client exports these three gauges with a `_total` suffix, which Prometheus reserves for
    // counters (`promtool check metrics` flags them); the same counts stay available without it
    // (`nodejs_active_handles` etc.).
    for (const what of ["handles", "requests", "resources"]) {
      registry.removeSingleMetric(`${prefix}nodejs_active_${what}_total`);
    }
  }
  const labels = <L extends string>(o: MetricOptions<L>): L[] => {
    const names = [...(o.labelNames ?? [])];
    assertLabelNames(o.name, names);
    return names;
  };
  return {
    service,
    registry,
    counter(o) {
      assertMetricName(service, "counter", o.name);
      return new Counter({ name: o.name, help: o.help, labelNames: labels(o), registers: [registry] });
    },
    gauge(o) {
      assertMetricName(service, "gauge", o.name);
      const { collect } = o;
      return new Gauge({
        name: o.name,
        help: o.help,
        labelNames: labels(o),
        registers: [registry],
        ...(collect === undefined
          ? {}
          : {
              collect: function (this: Gauge) {
                return collect(this);
              },
            }),
      });
    },
    histogram(o) {
      assertMetricName(service, "histogram", o.name);
      if (o.buckets.length === 0 || o.buckets.some((b, i) => i > 0 && b <= o.buckets[i - 1]!)) {
        throw new Error(`Histogram "${o.name}": buckets must be non-empty and strictly increasing`);
      }
      return new Histogram({
        name: o.name,
        help: o.help,
        labelNames: labels(o),
        buckets: [...o.buckets],
        registers: [registry],
      });
    },
  };
}

/**
 * `tributary_<service>_blob_status_transitions_total{status}`: the blob status transitions a
 * service applied (BlobStatusStore's `transitions`). One factory so every writer of statuses
 * names and labels it alike; the status label has the 7 values of BLOB_STATUSES.
 */
export function createStatusTransitionsCounter(metrics: Metrics): Counter<"status"> {
  return metrics.counter<"status">({
    name: `${metricPrefix(metrics.service)}blob_status_transitions_total`,
    help: "Blob status transitions this service applied, by new status (QUEUED .. FINALIZED, FAILED, EXPIRED)",
    labelNames: ["status"],
  });
}
