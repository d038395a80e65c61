import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseScenario, ScenarioError } from './scenario-schema.ts';
import type { Scenario } from './scenario-schema.ts';

/** The shipped scenarios (top-level `scenarios/`). */
export const SCENARIOS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../scenarios');

export function shippedScenarioNames(): string[] {
  return ['oct-10-2025', 'oracle-depeg', 'stale-oracle', 'black-thursday', 'quiet-day', 'two-shocks'];
}

/**
 * Loads a scenario from a file path or a shipped name (`oct-10-2025`), validates it and resolves a
 * real price path's CSV relative to the scenario file. Errors name the file and every bad field.
 */
export function loadScenario(fileOrName: string): { scenario: Scenario; path: string } {
  const path = existsSync(fileOrName) ? resolve(fileOrName) : resolve(SCENARIOS_DIR, `${fileOrName}.json`);
  if (!existsSync(path)) {
    throw new ScenarioError(fileOrName, [`no such file, and not a shipped scenario (${shippedScenarioNames().join(', ')})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ScenarioError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  const scenario = parseScenario(json, path);
  if (scenario.pricePath.kind === 'chainlink-csv' && !isAbsolute(scenario.pricePath.file)) {
    scenario.pricePath.file = resolve(dirname(path), scenario.pricePath.file);
  }
  if (scenario.pricePath.kind === 'chainlink-csv' && !existsSync(scenario.pricePath.file)) {
    throw new ScenarioError(path, [`pricePath.file: no such file ${scenario.pricePath.file}`]);
  }
  return { scenario, path };
}
