import { oracleDepegSuite } from './oracle-depeg-suite.ts';

oracleDepegSuite('oracle-depeg');
