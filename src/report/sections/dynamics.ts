import type { Section } from '../figure.ts';
import type { SectionContext } from './section-context.ts';
import { missingAnalytics, sqlText } from './section-context.ts';

/**
 * Cascade dynamics: the Hawkes self-excitation fit analytics stored per cascade (docs/analytics.md):
 * branching ratio n, its range under the other tie rules, the expected share of self-excited
 * liquidations, and the time-rescaling goodness of fit.
 */
export async function dynamicsSection(ctx: SectionContext): Promise<Section> {
  if (!ctx.has('cascades')) return missingAnalytics('dynamics', 'Cascade dynamics', ['cascades'], 'cascade analytics');
  const fit = await ctx.run({
    id: 'dynamics.hawkes',
    title: 'Self-excitation (Hawkes fit)',
    caption:
      'λ(t) = μ + α·Σ e^(−β(t−tᵢ)) fitted by maximum likelihood to the cascade\'s liquidations under the stated tie rule. n = α/β is the expected number of liquidations each one triggers; n range: n under the other tie rules (same-millisecond fills have no order); self-excited share: the mean probability that a liquidation was triggered by an earlier one; KS p: time-rescaling test (a low p rejects the model\'s timing).',
    shape: ctx.scope.cascadeId ? 'record' : 'table',
    sql: sqlText(`
      select c.cascade_id, c.hawkes_status, c.hawkes_tie_rule, c.hawkes_events, c.hawkes_mu, c.hawkes_alpha, c.hawkes_beta,
             1 / nullif(c.hawkes_beta, 0) as kernel_seconds, c.hawkes_n, c.hawkes_n_min, c.hawkes_n_max, c.hawkes_self_excited_share,
             c.hawkes_log_likelihood, c.hawkes_ks_p, c.hawkes_note
      from cascades c where ${ctx.q.cascades('c')}
      order by c.start_time, c.cascade_id`),
    columns: [
      { name: 'cascade_id', label: 'cascade', unit: 'text' },
      { name: 'hawkes_status', label: 'fit', unit: 'text' },
      { name: 'hawkes_tie_rule', label: 'tie rule', unit: 'text' },
      { name: 'hawkes_events', label: 'events fitted', unit: 'count' },
      { name: 'hawkes_mu', label: 'μ (per s)', unit: 'number' },
      { name: 'hawkes_alpha', label: 'α (per s)', unit: 'number' },
      { name: 'hawkes_beta', label: 'β (per s)', unit: 'number' },
      { name: 'kernel_seconds', label: 'kernel 1/β (s)', unit: 'number' },
      { name: 'hawkes_n', label: 'branching ratio n', unit: 'ratio' },
      { name: 'hawkes_n_min', label: 'n, lowest under other tie rules', unit: 'ratio' },
      { name: 'hawkes_n_max', label: 'n, highest under other tie rules', unit: 'ratio' },
      { name: 'hawkes_self_excited_share', label: 'self-excited share', unit: 'ratio' },
      { name: 'hawkes_log_likelihood', label: 'log-likelihood', unit: 'number' },
      { name: 'hawkes_ks_p', label: 'KS p-value', unit: 'ratio' },
      { name: 'hawkes_note', label: 'note', unit: 'text' },
    ],
  });
  const paragraphs = [
    'How self-reinforcing the cascade was. A branching ratio near 0 means the liquidations came from outside events (the price path); near 1, each liquidation brought about one more (near-critical). Non-stationary intensity and ties inflate n; read it together with its range.',
  ];
  if (fit.rows.length === 0) {
    paragraphs.push('Analytics found no cascade in this scope, so there is no self-excitation fit to show.');
    return { id: 'dynamics', title: 'Cascade dynamics', paragraphs, figures: [] };
  }
  if (fit.rows.some((r) => r.hawkes_status !== 'fitted')) paragraphs.push('A cascade whose fit status is not "fitted" has no n: its note says why (too few events, or the fit did not converge).');
  return { id: 'dynamics', title: 'Cascade dynamics', paragraphs, figures: [fit] };
}
