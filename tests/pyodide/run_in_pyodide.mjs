// Runs pytest inside Pyodide under Node over the given test paths, using the built dist/.
// Usage: node run_in_pyodide.mjs DIST_DIR REPO_ROOT [pytest args...]
// Prints pytest's own output, then one line: EVOMACHINE_PYODIDE_RESULT {"passed":N,...}.
import { bootPyodide, exitOnFailure } from "./node_pyodide.mjs";

const [distDir, repoRoot, ...pytestArgs] = process.argv.slice(2);
exitOnFailure("pyodide runner");
const { pyodide, bootMs } = await bootPyodide(distDir, repoRoot);
pyodide.globals.set("pytest_args", pyodide.toPy(pytestArgs));
pyodide.globals.set("boot_ms", bootMs);
const result = await pyodide.runPythonAsync(`
import json, os, sys
sys.dont_write_bytecode = True
os.chdir("/repo")
import pytest

class Collector:
    def __init__(self):
        self.counts = {"passed": 0, "failed": 0, "skipped": 0, "errors": 0}
        self.failures = []
    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            if report.outcome == "passed":
                self.counts["passed"] += 1
            elif report.outcome == "skipped":
                self.counts["skipped"] += 1
            else:
                key = "failed" if report.when == "call" else "errors"
                self.counts[key] += 1
                self.failures.append(report.nodeid)
    def pytest_collectreport(self, report):
        if report.outcome == "failed":
            self.counts["errors"] += 1
            self.failures.append(report.nodeid or "collection")

collector = Collector()
args = ["-p", "no:cacheprovider", "-q", *pytest_args]
exit_code = pytest.main(args, plugins=[collector])
json.dumps({"exit_code": int(exit_code), **collector.counts, "failures": collector.failures,
            "python": sys.version.split()[0], "platform": sys.platform, "boot_ms": boot_ms})
`);
console.log(`EVOMACHINE_PYODIDE_RESULT ${result}`);
process.exit(0);
