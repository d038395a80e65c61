import { adlWavesStep } from './adl/step.ts';
import { cascadesStep } from './cascades/step.ts';
import { oracleStep } from './oracle/oracle-step.ts';
import type { AnalysisStep } from './step.ts';

/**
 * The steps `liqscope analyze` runs inside one transaction. Each step reads its parameters from the
 * configuration's `analytics.<step name>` (src/config/schema.ts) and writes its own tables. ADL waves
 * come after cascades (a wave names the cascade it started in, `after`); the oracle checks read neither
 * and run beside them.
 */
export const ANALYSIS_STEPS: readonly AnalysisStep<unknown>[] = [
  cascadesStep,
  adlWavesStep,
  oracleStep,
];
