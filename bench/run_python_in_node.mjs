// Runs a Python file inside Pyodide under Node, with the built dist/'s engine wheels installed.
// Usage: node run_python_in_node.mjs DIST_DIR REPO_ROOT SCRIPT [args...]
// The repo is mounted at /repo; the script's stdout goes to ours.
import { bootPyodide, exitOnFailure } from "../tests/pyodide/node_pyodide.mjs";

const [distDir, repoRoot, script, ...args] = process.argv.slice(2);
exitOnFailure("pyodide run");
const { pyodide } = await bootPyodide(distDir, repoRoot, ["engine"]);
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
