export { Collector, type CollectorState } from './collector';
export { resolveCollectorConfig, type CollectorConfig, type CollectorOptions } from './config';
