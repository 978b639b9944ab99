/** The scenarios `npm run bench` runs, in this order (`--only NAME` picks one). */
import type { Scenario } from '../harness/types';
import { ingest } from './ingest';
import { lookupRpc } from './lookup-rpc';
import { collectorRss } from './collector-rss';
import { restart } from './restart';
import { nft } from './nft';

export const SCENARIOS: Scenario[] = [ingest, lookupRpc, collectorRss, restart, nft];
