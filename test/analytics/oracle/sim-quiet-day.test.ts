import { quietDayOracleSuite } from './quiet-day-suite.ts';

quietDayOracleSuite('quiet-day');
