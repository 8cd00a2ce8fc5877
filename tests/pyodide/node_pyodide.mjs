// Boots Pyodide under Node from the built dist/, with the repository mounted at /repo.
// Shared by the Pyodide test layer and the benchmarks that run Python inside Pyodide.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

// Print the Python traceback or JS message only: Node would echo a minified source line.
export function exitOnFailure(what) {
  process.on("unhandledRejection", (error) => {
    console.error(`${what} failed: ${error && error.message ? error.message : error}`);
    process.exit(1);
  });
}

// groups: which manifest wheel groups to install ("engine", "test"); all when omitted.
export async function bootPyodide(distDir, repoRoot, groups = null) {
  const { loadPyodide } = await import(pathToFileURL(path.join(distDir, "pyodide", "pyodide.mjs")).href);
  const manifest = JSON.parse(readFileSync(path.join(distDir, "manifest.json"), "utf8"));
  const started = performance.now();
  const pyodide = await loadPyodide({ indexURL: path.join(distDir, "pyodide") + path.sep });
  const bootMs = performance.now() - started;
  await pyodide.loadPackage(
    manifest.wheels
      .filter((w) => groups === null || groups.includes(w.group))
      .map((w) => path.join(distDir, "wheels", w.file)),
    { messageCallback: () => {}, checkIntegrity: false },
  );
  pyodide.FS.mkdirTree("/repo");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repoRoot }, "/repo");
  return { pyodide, bootMs };
}
