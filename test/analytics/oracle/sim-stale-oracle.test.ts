import { staleOracleSuite } from './stale-oracle-suite.ts';

staleOracleSuite('stale-oracle');
