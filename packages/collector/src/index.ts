export { Collector, type CollectorState } from './collector';
export { resolveCollectorConfig, type CollectorConfig, type CollectorOptions } from './config';
export { COLLECTOR_METRICS } from './metrics/collector-metrics';
export { COLLECTOR_SCHEMA } from './config-schema';
