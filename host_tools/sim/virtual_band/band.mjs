// The virtual band's MicroPython side: the real firmware in the MicroPython WebAssembly port.
// Usage: node band.mjs CONFIG.json
// Bytes from the USB port arrive appended to config.input (a file the Python bridge writes);
// what the band prints goes to stdout. The band's flash lives in MEMFS at /flash, loaded from
// and saved back to the host directory config.flash_dir.
import fs from "node:fs";
import path from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const out = (bytes) => fs.writeSync(1, bytes);
const text = (s) => out(Buffer.from(s, "latin1"));
const sleeper = new Int32Array(new SharedArrayBuffer(4));

// ---- input from the USB port (non-blocking: a file the bridge appends to)
let inputFd = fs.openSync(cfg.input, "r");
let inputPos = 0;
const pending = [];
function dropInput() {  // bytes that arrive while the band's UART is stopped (light sleep)
  const st = fs.fstatSync(inputFd);
  if (st.size > inputPos) inputPos = st.size;
}
function usbPower() {  // the cable: the host side writes 1 (plugged in) or 0 into cfg.usb
  try { return fs.readFileSync(cfg.usb, "utf8").trim() === "1" ? 1 : 0; } catch (e) { return 0; }
}
function pollInput() {
  const buf = Buffer.alloc(4096);
  for (;;) {
    const n = fs.readSync(inputFd, buf, 0, buf.length, inputPos);
    if (n <= 0) break;
    inputPos += n;
    for (let i = 0; i < n; i++) pending.push(buf[i]);
  }
}

// ---- flash: host directory <-> MEMFS /flash
function loadFlash(mp) {
  const walk = (host, mem) => {
    for (const name of fs.readdirSync(host)) {
      const h = path.join(host, name), m = mem + "/" + name;
      if (fs.statSync(h).isDirectory()) { mp.FS.mkdir(m); walk(h, m); }
      else mp.FS.writeFile(m, fs.readFileSync(h));
    }
  };
  mp.FS.mkdir("/flash");
  walk(cfg.flash_dir, "/flash");
}
function saveFlash(mp) {
  const walk = (mem, host) => {
    const seen = new Set();
    for (const name of mp.FS.readdir(mem)) {
      if (name === "." || name === "..") continue;
      seen.add(name);
      const m = mem + "/" + name, h = path.join(host, name);
      if (mp.FS.isDir(mp.FS.stat(m).mode)) {
        if (!fs.existsSync(h)) fs.mkdirSync(h);
        walk(m, h);
      } else {
        const data = mp.FS.readFile(m);
        if (!fs.existsSync(h) || !Buffer.from(data).equals(fs.readFileSync(h))) {
          fs.writeFileSync(h + ".vb-tmp", data);
          fs.renameSync(h + ".vb-tmp", h);
        }
      }
    }
    for (const name of fs.readdirSync(host)) {
      if (!seen.has(name)) fs.rmSync(path.join(host, name), { recursive: true, force: true });
    }
  };
  walk("/flash", cfg.flash_dir);
}

// ---- one MicroPython instance per boot
let mp = null;
let lastSave = Date.now();
let rawMode = false;
let interrupted = false;

// The band's clocks outlive a soft reboot, as on an ESP32 (ticks and the RTC keep running).
// --start: the RTC set at power-on (epoch_s: Unix seconds at ticks 0), as if a host had set it.
const clock = { ms: cfg.start_ms || 0, epoch_s: cfg.epoch_s || 0 };
let lastStatus = 0;

const vband = {
  now_ms() { return clock.ms; },
  epoch_s() { return clock.epoch_s; },
  // called from the virtual clock whenever the firmware sleeps: pace, take input, Ctrl-C
  pace(ms, now_ms, epoch_s) {
    clock.ms = now_ms;
    clock.epoch_s = epoch_s;
    if (cfg.speed > 0 && ms > 0) Atomics.wait(sleeper, 0, 0, ms / cfg.speed);
    pollInput();
    if (Date.now() - lastSave > 1000) { saveFlash(mp); lastSave = Date.now(); }
    if (cfg.status && Date.now() - lastStatus > 200) {  // how far it has worn, for progress
      fs.writeFileSync(cfg.status, String(now_ms));
      lastStatus = Date.now();
    }
    const k = pending.indexOf(3);
    if (k >= 0) { pending.splice(0, k + 1); return 1; }
    return 0;
  },
  usb_power() { return usbPower(); },
  // light sleep: time passes (paced like sleeps), input received while awake stays queued (a
  // Ctrl-C among it interrupts, as the UART's interrupt would have), input arriving meanwhile
  // is lost; returns 1 if USB power is present (a wake source), + 2 for that Ctrl-C
  nap(ms, now_ms, epoch_s) {
    clock.ms = now_ms;
    clock.epoch_s = epoch_s;
    pollInput();
    const k = pending.indexOf(3);
    if (k >= 0) { pending.splice(0, k + 1); return usbPower() + 2; }
    if (cfg.speed > 0 && ms > 0) Atomics.wait(sleeper, 0, 0, ms / cfg.speed);
    dropInput();
    return usbPower();
  },
  rename(a, b) {
    try { mp.FS.rename(a, b); return 0; } catch (e) { return e.errno || 5; }
  },
};

async function boot(banner) {
  if (mp) saveFlash(mp);
  mp = await loadMicroPython({ heapsize: cfg.heap, stdout: (b) => out(b), linebuffer: false,
                               pystack: 8192 });
  mp.registerJsModule("vband_js", vband);
  loadFlash(mp);
  mp.FS.mkdir("/lib");
  for (const f of fs.readdirSync(cfg.lib_dir)) mp.FS.writeFile("/lib/" + f, fs.readFileSync(path.join(cfg.lib_dir, f)));
  mp.runPython(fs.readFileSync(cfg.bootstrap, "utf8"));
  if (banner) text("MPY: soft reboot\r\n");
}

function runFile(name, isMain) {
  try {
    mp.runPython(`_vb_run(${JSON.stringify(name)})`);
  } catch (e) {
    if (e.name !== "PythonError") throw e;
    text(e.message.replace(/\n/g, "\r\n"));
  }
}

async function start(banner, inRaw) {
  await boot(banner);
  runFile("boot.py");
  if (!inRaw) runFile("main.py");
  saveFlash(mp);
  mp.replInit();
  if (inRaw) feed(1);
}

let paste = [];
function feed(c) {
  const r = mp.replProcessChar(c);
  return r;
}

let dirty = false;  // the REPL ran something since the flash was last saved
async function loop() {
  pollInput();
  if (pending.length) dirty = true;
  while (pending.length) {
    const c = pending.shift();
    // mpremote asks for raw-paste mode (\x05A\x01); this port aborts it: say it is unsupported
    if (c === 5 && pending[0] === 65 && pending[1] === 1 && rawMode) {
      pending.splice(0, 2);
      text("R\x00");
      continue;
    }
    if (c === 1) rawMode = true;
    if (c === 2) rawMode = false;
    const r = feed(c);
    if (r) {  // soft reset requested (Ctrl-D)
      saveFlash(mp);
      await start(true, rawMode);
    }
  }
  // A real band's writes are on flash when the command returns: save as soon as input pauses.
  if (dirty || Date.now() - lastSave > 1000) { saveFlash(mp); lastSave = Date.now(); dirty = false; }
  setTimeout(loop, 2);
}

process.on("SIGTERM", () => { try { saveFlash(mp); } catch (e) {} process.exit(0); });
await start(false, false);
loop();
