// Runs a MicroPython script in the WebAssembly port under Node.js.
// Usage: node run.mjs HEAP_BYTES FILES_DIR SCRIPT.py
// Every file in FILES_DIR is copied into the runtime's file system at /lib (on sys.path), so
// firmware modules import as on the band. stdout/stderr pass through; a Python exception
// prints its traceback on stderr and exits 1.
import fs from "node:fs";
import path from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const [heapArg, filesDir, scriptPath] = process.argv.slice(2);
const mp = await loadMicroPython({
  heapsize: parseInt(heapArg, 10),
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});
mp.FS.mkdir("/lib");
for (const name of fs.readdirSync(filesDir)) {
  mp.FS.writeFile("/lib/" + name, fs.readFileSync(path.join(filesDir, name)));
}
try {
  mp.runPython("import sys\nsys.path.insert(0, '/lib')\n" + fs.readFileSync(scriptPath, "utf8"));
} catch (error) {
  if (error.name !== "PythonError") throw error;
  if (error.type !== "SystemExit") {
    process.stderr.write(error.message + "\n");
    process.exit(1);
  }
}
