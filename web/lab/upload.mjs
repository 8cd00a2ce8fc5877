// Reading a data file the user picked: streamed in chunks with a progress bar, under a stated
// size limit. A file over the limit is refused before a byte is read (File.size), and a stream
// that delivers more than it announced is cut off at the limit, so a huge or lying file never
// fills the page's memory. The bytes come back whole (readFileBytes) for decoding by the caller,
// or decoded as UTF-8 (readDataFile).

import { bytes } from "./format.mjs";

export const MAX_DATA_BYTES = 32_000_000;
/** An export file to import: far above what a lab exports, far below what freezes a tab. */
export const MAX_IMPORT_BYTES = 256_000_000;

export class UploadError extends Error {
  constructor(message) {
    super(message);
    this.name = "UploadError";
    this.kind = "user";
  }
}

/** What the limit is, in words (shown beside the file input). */
export function limitText(limit = MAX_DATA_BYTES) {
  return `up to ${bytes(limit)}`;
}

/** Say the limit next to `input` once (a muted note after it). */
export function showLimit(input, limit = MAX_DATA_BYTES) {
  if (!input || input.dataset.limitShown) return;
  input.dataset.limitShown = "1";
  const note = document.createElement("span");
  note.className = "muted small upload-limit";
  note.textContent = limitText(limit);
  input.insertAdjacentElement("afterend", note);
}

/**
 * The bytes of `file`, read as a stream; `onProgress(done, total)` after each chunk.
 * Throws UploadError when the file is over `limit` (before reading) or turns out to be;
 * `kind` names such files in the message.
 */
export async function readFileBytes(file, { limit = MAX_DATA_BYTES, onProgress = () => {}, kind = "data files" } = {}) {
  const name = file.name || "the file";
  if (file.size > limit) {
    throw new UploadError(`${name} is ${bytes(file.size)}: ${kind} can be ${limitText(limit)}. Nothing was loaded.`);
  }
  const reader = file.stream().getReader();
  const chunks = [];
  let done = 0;
  onProgress(0, file.size);
  for (;;) {
    const next = await reader.read();
    if (next.done) break;
    done += next.value.byteLength;
    if (done > limit) {
      await reader.cancel();
      throw new UploadError(`${name} is over ${bytes(limit)}: ${kind} can be ${limitText(limit)}. Nothing was loaded.`);
    }
    chunks.push(next.value);
    onProgress(done, file.size);
  }
  const whole = new Uint8Array(done);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return whole;
}

/** A progress bar after `anchor` while a file is read; `update(done, total)`, then `remove()`. */
export function uploadProgress(anchor, label = "Reading the file") {
  const bar = document.createElement("div");
  bar.className = "run-progress upload-progress";
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-label", label);
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  bar.setAttribute("aria-valuenow", "0");
  const fill = document.createElement("div");
  fill.className = "run-progress-fill";
  bar.append(fill);
  anchor?.parentElement?.append(bar);
  return {
    element: bar,
    update(done, total) {
      const percent = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 100;
      fill.style.width = `${percent}%`;
      bar.setAttribute("aria-valuenow", String(percent));
      bar.setAttribute("aria-valuetext", `${bytes(done)} of ${bytes(total)}`);
    },
    remove() { bar.remove(); },
  };
}

/** `file` as text (UTF-8, a BOM dropped), streamed with a progress bar after `anchor`. */
export async function readDataFile(file, anchor, { limit = MAX_DATA_BYTES, kind = "data files" } = {}) {
  const progress = uploadProgress(anchor, `Reading ${file.name || "the file"}`);
  try {
    const data = await readFileBytes(file, { limit, kind, onProgress: progress.update });
    return new TextDecoder("utf-8").decode(data);
  } finally {
    progress.remove();
  }
}
