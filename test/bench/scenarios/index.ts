import type { Scenario } from '../harness/types';
import { decideScenario } from './decide';
import { propagationScenario } from './propagation';
import { replicaLoadScenario } from './replica-load';
import { replicaRssScenario } from './replica-rss';

/** The firewall-side scenarios of `npm run bench` (issue 15); the collector-side ones join this list. */
export const SCENARIOS: Scenario[] = [propagationScenario, decideScenario, replicaLoadScenario, replicaRssScenario];
