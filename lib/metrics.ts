// The metric contract lives beside the bridge that publishes it; the stack reads the same names.
export { BRIDGE_METRICS, ENGINES, METRICS_NAMESPACE } from '../services/bridge/metric-names.js';
