/** The scenarios `npm run bench` runs, in this order (`--only NAME` picks one). */
import type { Scenario } from '../harness/types';
import { ingest } from './ingest';

export const SCENARIOS: Scenario[] = [ingest];
