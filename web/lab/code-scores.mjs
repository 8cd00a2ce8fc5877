// Which synthesis the View code panel's score table is of, and whether its winner is the code
// shown. The table holds the last synthesis's scores; its winner may not be the code shown:
// a refresh that answered no more than the code in place is not installed, and a pattern or a
// hand promotion may have replaced the code since (a newcomer's tour read "linear ✓ 90.9%"
// under "winner linear · held-out agreement 87.9%").

import { count } from "./format.mjs";

const num = (value) => (Number.isFinite(value) ? count(value) : "—");

/** `{caption, mark}` for the scores of `last` (the task's last_synthesis) beside the code of
 * `version` ("v3"). `last.installed_version` is the version that synthesis wrote, null when it
 * wrote none, absent in a run saved before it was kept (then nothing is claimed);
 * `last.replaced_by` the version installed after it from elsewhere. `mark` follows the
 * winner's name. */
export function scoresCaption(last, version) {
  const at = `(execution ${num(last.at)})`;
  if (!Object.hasOwn(last, "installed_version")) {
    return { caption: `Held-out scores of each synthesizer at the last synthesis ${at}`, mark: " ✓" };
  }
  const wrote = last.installed_version;
  if (wrote !== null && `v${wrote}` === String(version)) {
    return { caption: `Held-out scores of each synthesizer at the synthesis that wrote ${version} ${at}; ✓ the winner`, mark: " ✓" };
  }
  const mark = " (its best, not the code shown)";
  if (Number.isFinite(last.replaced_by)) {
    return { caption: `Held-out scores of each synthesizer at the last synthesis ${at}; the code shown, ${version}, was installed after it from elsewhere (a pattern or stored code)`, mark };
  }
  if (wrote === null) {
    return { caption: `Held-out scores of each synthesizer at the last synthesis ${at}, whose best was not installed: ${version} came before it (the task card's Next says what the code waits for)`, mark };
  }
  return { caption: `Held-out scores of each synthesizer at the last synthesis ${at}, which wrote v${num(wrote)}; the code shown, ${version}, came after it`, mark };
}
