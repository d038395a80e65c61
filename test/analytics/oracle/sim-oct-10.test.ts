import { oct10OracleSuite } from './oct-10-suite.ts';

oct10OracleSuite('oct-10-2025');
