import { CASCADE_SCENARIOS, cascadeSuite } from './cascade-suite.ts';

// Cascades against the simulator's ground truth (cascade-suite.ts) on the scenarios with cascades to
// find; cascades-calm.test.ts takes every other shipped scenario.
cascadeSuite(CASCADE_SCENARIOS);
