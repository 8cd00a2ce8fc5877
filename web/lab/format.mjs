// Number formatting for people: money, rates, durations, counts, times.

export const dash = "—";

export function usd(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash;
  const abs = Math.abs(value);
  if (abs === 0) return "$0";
  if (abs >= 100) return `$${value.toFixed(0)}`;
  if (abs >= 1) return `$${value.toFixed(2)}`;
  if (abs >= 0.01) return `$${value.toFixed(3)}`;
  return `$${value.toPrecision(2)}`;
}

export function pct(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash;
  return `${(value * 100).toFixed(digits)}%`;
}

export function ms(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash;
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 10) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(1)} ms`;
}

export function count(value) {
  if (value === null || value === undefined) return dash;
  return Number(value).toLocaleString("en-US");
}

/** "1 step", "2 steps", "1,500 steps". */
export function steps(value) {
  return `${count(value)} ${value === 1 ? "step" : "steps"}`;
}

export function records(value) {
  return counted(value, "record");
}

/** "1 execution", "2 executions": `value` counted in words. */
export function counted(value, one, many = `${one}s`) {
  return `${count(value)} ${value === 1 ? one : many}`;
}

export function bytes(value) {
  if (!Number.isFinite(value)) return dash;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} MB`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)} kB`;
  return `${value} B`;
}

export function when(seconds) {
  if (!seconds) return dash;
  const date = new Date(seconds * 1000);
  return date.toLocaleString("en-GB", { day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export const STAGES = ["llm_only", "hybrid", "code_first", "code_only"];
export const STAGE_NAMES = { llm_only: "LLM only", hybrid: "Hybrid", code_first: "Code first", code_only: "Code only" };

/** The engine's sentences name stages by their identifiers ("code_first needs 200 live
 * checks"); the page calls them by STAGE_NAMES ("Code first"). Says each the page's way. */
export function stageWords(text) {
  return String(text).replace(/\b(llm_only|hybrid|code_first|code_only)\b/g, (id, _, at) =>
    (at === 0 ? STAGE_NAMES[id] : id === "llm_only" ? "LLM only" : STAGE_NAMES[id].toLowerCase()));
}
