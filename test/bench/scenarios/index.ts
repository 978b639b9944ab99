/** The scenarios `npm run bench` runs, in this order (`--only NAME` picks one). */
import type { Scenario } from '../harness/types';
import { ingest } from './ingest';
import { lookupRpc } from './lookup-rpc';
import { collectorRss } from './collector-rss';
import { restart } from './restart';
import { nft } from './nft';
import { decideScenario } from './decide';
import { propagationScenario } from './propagation';
import { replicaLoadScenario } from './replica-load';
import { replicaRssScenario } from './replica-rss';

export const SCENARIOS: Scenario[] = [
  ingest,
  propagationScenario,
  lookupRpc,
  decideScenario,
  replicaLoadScenario,
  replicaRssScenario,
  collectorRss,
  restart,
  nft,
];
