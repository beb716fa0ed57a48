// The metric contract lives in core, read by the code that publishes it and by the stack.
export {
  BRIDGE_METRICS,
  ENGINES,
  FUNCTION_METRICS,
  LOG_METRICS,
  METRIC_DIMENSIONS,
  METRICS_NAMESPACE,
  REFUSAL_LOG_MESSAGES,
} from '../services/core/metric-names.js';
