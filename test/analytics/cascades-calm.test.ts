import { shippedScenarios } from './cascade-truth.ts';
import { CASCADE_SCENARIOS, cascadeSuite } from './cascade-suite.ts';

// Cascades against the simulator's ground truth (cascade-suite.ts) on every shipped scenario that
// cascades.test.ts does not take: the controls (quiet-day; oracle-depeg, whose liquidations the
// market's price never explains; stale-oracle) and any scenario added later.
cascadeSuite(shippedScenarios().filter((s) => !CASCADE_SCENARIOS.includes(s)));
