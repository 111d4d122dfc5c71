/**
 * The controller's metrics: one typed tree, built here and injected. Names are spelled in full in
 * this file only, so a rename is visible in review. The alert TributaryControllerScaleFailing
 * (deploy/prometheus/alerts.yml) sums the scale operations by `target` where `result="failed"`.
 */
import type { Metrics } from "@tributary/runtime";

export const CONTROLLER_SERVICE = "controller";

export function createControllerMetrics(metrics: Metrics) {
  return {
    registry: metrics.registry,
    scaleOperations: metrics.counter<"target" | "result">({
      name: "tributary_controller_scale_operations_total",
      help: "Scale operations (StatefulSet patch and new epoch), by target (storage, consensus) and result (succeeded, failed)",
      labelNames: ["target", "result"],
    }),
  };
}
export type ControllerMetrics = ReturnType<typeof createControllerMetrics>;
