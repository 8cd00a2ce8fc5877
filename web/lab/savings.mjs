// What a task saves against asking the LLM every time: in $ and %, and per 1,000 executions.

import { pct, usd } from "./format.mjs";

/** "$1.23 (45.6%)": the saving so far and its share of the LLM-only cost. */
export function savedText(m) {
  if (m.cost_saved === null || m.cost_saved === undefined) return "—";
  const share = m.cost_saved_share;
  return share === null || share === undefined ? usd(m.cost_saved) : `${usd(m.cost_saved)} (${pct(share)})`;
}

/** Per 1,000 executions: at the cost per execution of the latest chart interval (the
 * current stage) against the LLM-only cost per execution (the mean of the task's LLM calls). */
export function perThousand(m, series) {
  const executions = m.execution_count;
  const llmOnly = m.llm_only_cost_estimate;
  const points = (series && series.points) || [];
  const last = points.length ? points[points.length - 1] : null;
  const now = last ? Number(last[1]) : m.performance_metrics?.cost_per_execution;
  if (!executions || llmOnly === null || llmOnly === undefined || !Number.isFinite(now)) return "—";
  const base = (llmOnly / executions) * 1000;
  const saved = base > 0 ? ` · saves ${pct(1 - (now * 1000) / base, 0)}` : "";
  return `${usd(now * 1000)} now vs ${usd(base)} LLM only${saved}`;
}
