import { adlWavesSuite } from './adl-waves-suite.ts';

// oct-10-2025 has ADL on all three venues: Hyperliquid (ranked winners at the previous mark), dYdX
// (offsetting accounts at the bankruptcy price) and GMX v2 (most profitable first at the index price).
adlWavesSuite('oct-10-2025');
