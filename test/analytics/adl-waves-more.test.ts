import { adlWavesSuite } from './adl-waves-suite.ts';

// two-shocks: Hyperliquid ADL in two shocks 40 minutes apart (two waves, liquidated accounts above
// and below zero equity); black-thursday: GMX v2 ADL only (no liquidated account named, no ranking
// batch below three fills is scored).
adlWavesSuite('two-shocks');
adlWavesSuite('black-thursday');
