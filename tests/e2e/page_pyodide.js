async () => {
  // Boots a Pyodide of its own in the page (once), with the engine's wheels: for tests and
  // benches that need the page's storage (localStorage is not in Workers). Evaluated by
  // Playwright as a function; window.__testPyodide is the result.
  // (No text before the arrow: Playwright must see a function, or it would eval.)
  if (!window.__testPyodide) {
    const base = new URL(".", document.baseURI);
    const manifest = await fetch(new URL("manifest.json", base)).then((r) => r.json());
    const { loadPyodide } = await import(new URL("pyodide/pyodide.mjs", base).href);
    const py = await loadPyodide({ indexURL: new URL("pyodide/", base).href, fullStdLib: false });
    const wheels = manifest.wheels.filter((w) => w.group === "engine")
      .map((w) => new URL(`wheels/${w.file}`, base).href);
    await py.loadPackage(wheels, { messageCallback: () => {}, checkIntegrity: false });
    window.__testPyodide = py;
  }
  return true;
}
