// What a task saves against asking the LLM every time: in $ and %, and per 1,000 executions.

import { pct, usd } from "./format.mjs";

/** "$1.23 (45.6%)": the saving so far and its share of the LLM-only cost. */
export function savedText(m) {
  if (m.cost_saved === null || m.cost_saved === undefined) return "—";
  const share = m.cost_saved_share;
  return share === null || share === undefined ? usd(m.cost_saved) : `${usd(m.cost_saved)} (${pct(share)})`;
}

/** Executions the "per 1,000" figure is measured over, at most (the latest ones). */
const RECENT = 200;

/** Per 1,000 executions, now: the cost of the latest executions of the current stage (up to
 * RECENT of them, from the chart's points) against what the same executions would have cost
 * with the LLM answering each (the points' last column). Measured over the same executions,
 * a stage where the LLM answers everything saves 0%, whatever its inputs' lengths. */
export function perThousand(m, series) {
  const points = (series && series.points) || [];
  const changes = (series && series.changes) || [];
  const since = changes.length ? changes[changes.length - 1].at : 0;
  let spent = 0;
  let llmOnly = 0;
  let count = 0;
  for (let i = points.length - 1; i >= 0 && count < RECENT; i--) {
    const [at, cost, , , baseline] = points[i];
    const before = i > 0 ? points[i - 1][0] : 0;
    if (at <= since || !Number.isFinite(cost) || !Number.isFinite(baseline)) break;
    spent += cost * (at - before);
    llmOnly += baseline * (at - before);
    count += at - before;
  }
  if (!count || !m.execution_count) return "—";
  const now = (spent / count) * 1000;
  const base = (llmOnly / count) * 1000;
  return `${usd(now)} now vs ${usd(base)} LLM only${base > 0 ? ` · ${against(1 - now / base)}` : ""}`;
}

/** "saves 12%", or "costs 6% more" when the stage spends more than the LLM alone would (just
 * after a drift: audits, code-writing and the LLM's answers together). */
function against(share) {
  return Math.round(share * 100) < 0 ? `costs ${pct(-share, 0)} more` : `saves ${pct(Math.max(0, share), 0)}`;
}
