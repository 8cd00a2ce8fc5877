// Runs a Python file inside Pyodide under Node, with the built dist/'s engine wheels installed.
// Usage: node run_python_in_node.mjs DIST_DIR REPO_ROOT SCRIPT [args...]
// The repo is mounted at /repo; the script's stdout goes to ours.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [distDir, repoRoot, script, ...args] = process.argv.slice(2);
process.on("unhandledRejection", (error) => {
  console.error(`pyodide run failed: ${error && error.message ? error.message : error}`);
  process.exit(1);
});
const { loadPyodide } = await import(pathToFileURL(path.join(distDir, "pyodide", "pyodide.mjs")).href);
const manifest = JSON.parse(readFileSync(path.join(distDir, "manifest.json"), "utf8"));
const pyodide = await loadPyodide({ indexURL: path.join(distDir, "pyodide") + path.sep });
await pyodide.loadPackage(
  manifest.wheels.filter((w) => w.group === "engine").map((w) => path.join(distDir, "wheels", w.file)),
  { messageCallback: () => {}, checkIntegrity: false },
);
pyodide.FS.mkdirTree("/repo");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repoRoot }, "/repo");
pyodide.setStdout({ batched: (line) => console.log(line) });
pyodide.globals.set("script_args", pyodide.toPy([script, ...args]));
await pyodide.runPythonAsync(`
import os, runpy, sys
sys.dont_write_bytecode = True
os.chdir("/repo")
sys.argv = list(script_args)
sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
runpy.run_path(sys.argv[0], run_name="__main__")
`);
