"""`repband bench --power`: the app's duty cycle and the M5StickC Plus2's battery life.

What is measured (MicroPython, here): the band's app (app.App.step: FIFO burst through the real
MPU6886 driver, set up as app.main() sets it up, the counter, feedback, the LCD on events) over a
recorded trace, batch by batch, with the IMU's FIFO bytes recorded beforehand so only firmware
runs; per batch its time, its heap allocation (collector off) and the bytes it moves on I2C, and
the same fixed reference loop `repband bench` uses.

What is assumed: how fast an ESP32 runs that reference loop (no ESP32 here: a range from
published pystone figures), and the currents of the parts (ESP32, IMU, LCD, buzzer, the board
itself). Every input says where it comes from (a named datasheet, a measurement, a published
figure or a stated assumption); the scenarios are computed from them (`scenario_rows`), so
changing one input changes the figures. Each figure is a range, low to high: the ESP32 as slow
as the slowest published pystone figure, and as fast as the fastest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from host_tools import BOARDS_DIR, firmware
from host_tools.traces import traceio

FAKES_DIR = Path(__file__).resolve().parent / "fakes"
BAND_RATE_HZ = 50  # what the app asks of the IMU (board.open_imu: the MPU6886 default)

_MP_APP_LOOP = """
import gc, time, machine, fakeband
from array import array
PER_READ = %(per_read)d
FRAME = %(frame)d
BATCH = %(batch)s
WARM = 20
machine.record = False  # the fakes' own bookkeeping is not the firmware's
runs = [0]

def band(name):
    data = open('/lib/' + name, 'rb').read()
    bus = fakeband.ReplayI2C(data, PER_READ, frame=FRAME)
    runs[0] += 1
    app, clock = fakeband.build('%(board)s', '/applog%%d' %% runs[0], bus, %(rate)d, batch=BATCH)
    for _ in range(WARM):
        app.step()
        clock.ms += app.period_ms
    return app, clock, bus, len(data) // (PER_READ * FRAME) - WARM

# 1. heap per batch, batch by batch, over the trace
app, clock, bus, K = band('fifo.bin')
als = array('i', [0] * K)
evs = bytearray(K)
gc.collect()
gc.disable()
i = 0
while i < K and not bus.done():
    e0 = app.reps + app.sets
    a0 = gc.mem_alloc()
    app.step()
    als[i] = gc.mem_alloc() - a0
    if app.reps + app.sets != e0:
        evs[i] = 1
    clock.ms += app.period_ms
    i += 1
gc.enable()
q = [als[k] for k in range(i) if not evs[k]]
e = [als[k] for k in range(i) if evs[k]]

# 2. time, in iterations of the reference loop: blocks of BLOCK batches, each between two
# runs of the reference loop, so what slows the shared machine slows both (the ticks here count
# whole milliseconds: a block takes tens of them)
def reference(t, ax, ay, az, lo, hi):
    s = 0
    for i in range(lo, hi):
        s += t[i] + ax[i] + ay[i] + az[i]
    return s

nr = 40000
r = array('i', range(nr))
for _ in range(5):
    reference(r, r, r, r, 0, nr)  # warm up (the WebAssembly engine compiles hot code late)

def ref_us():
    t0 = time.ticks_us()
    reference(r, r, r, r, 0, nr)
    return time.ticks_diff(time.ticks_us(), t0)

BLOCK = 32

def timed(name, costs):
    # appends each block's cost a batch (in reference iterations) to costs; returns the run's
    # batches, its total cost, the bytes on I2C and SPI, and its events
    app, clock, bus, K = band(name)
    spi = app.display.spi if app.display is not None else None
    spi0 = spi.written if spi is not None else 0
    wire0 = bus.wire_bytes
    n = 0
    total = 0.0
    gc.collect()
    gc.disable()  # a collection landing in one block and not another is noise, not the loop
    before = ref_us()
    while n < K and not bus.done():
        k = 0
        t0 = time.ticks_us()
        while k < BLOCK and n < K and not bus.done():
            app.step()
            clock.ms += app.period_ms
            n += 1
            k += 1
        us = time.ticks_diff(time.ticks_us(), t0)
        after = ref_us()
        cost = us * nr / ((before + after) / 2)
        total += cost
        if k == BLOCK:
            costs.append(cost / k)
        before = after
    gc.enable()
    return (n, total, bus.wire_bytes - wire0,
            (spi.written if spi is not None else 0) - spi0, app.reps + app.sets)

def median(x):
    x = sorted(x)
    return x[len(x) // 2]

quiet = []
st = [timed("still.bin", quiet) for _ in range(5)]
quiet_cost = median(quiet)
runs = [timed('fifo.bin', []) for _ in range(3)]
extra = median([(x[1] - x[0] * quiet_cost) / x[4] for x in runs]) if runs[0][4] else 0.0
ex = runs[0]
print('P', i, PER_READ, app.period_ms, len(q), min(q), max(q), len(e), max(e or [0]),
      app.reps, app.sets, ex[0], ex[2], ex[3], ex[4], st[0][0], st[0][2], len(quiet),
      int(quiet_cost * 1000), int(extra * 1000))
"""


def _driver(board_name: str, gyro: bool, batch: int | None = None):
    """The MPU6886 driver as app.main() opens it on `board_name` (on the register model), to read
    its frame size and batch size from."""
    from host_tools.sim.fakes.imu_models import FakeI2C, ManualClock, MPU6886Model, SampleSource

    board = firmware.load("board").load(board_name, str(BOARDS_DIR))
    clock = ManualClock(0)
    model = MPU6886Model(clock, SampleSource([0], [[0]] * 6), board.imu["part"],
                         board.imu["to_band"])
    return firmware.load("mpu6886").MPU6886(
        FakeI2C({board.imu["address"]: model}), board.imu["address"], board.imu["part"],
        rate_hz=BAND_RATE_HZ, to_band=board.to_band, sleep_ms=clock.sleep_ms, gyro=gyro,
        batch=batch)


def fifo_bytes(trace: traceio.Trace, board_name: str, period_ms: int, rate_hz: int = BAND_RATE_HZ,
               gyro: bool = False) -> bytes:
    """The FIFO bytes an MPU6886 on `board_name` would hold over `trace`, read every period_ms
    (the register model on CPython, set up by the real driver, with or without the gyro)."""
    from host_tools.sim.fakes.imu_models import FakeI2C, ManualClock, MPU6886Model, SampleSource

    board = firmware.load("board").load(board_name, str(BOARDS_DIR))
    mpu = firmware.load("mpu6886")
    t, *cols = (c.tolist() for c in traceio.counter_ints(trace))
    clock = ManualClock(0)
    model = MPU6886Model(clock, SampleSource(t, cols), board.imu["part"], board.imu["to_band"])
    imu = mpu.MPU6886(FakeI2C({board.imu["address"]: model}), board.imu["address"],
                      board.imu["part"], rate_hz=rate_hz, to_band=board.to_band,
                      sleep_ms=clock.sleep_ms, gyro=gyro)
    frame = imu._frame
    out = bytearray()
    while clock.ms < t[-1]:
        clock.ms += period_ms
        cnt = model.read(0x72, 2)
        k = ((cnt[0] << 8) | cnt[1]) // frame * frame
        out += model.read(0x74, k)
    return bytes(out)


def still_trace(seconds: int = 200) -> traceio.Trace:
    """Lying on the side, not moving (thigh up: z = 1 g): the app's quiet steady state."""
    import numpy as np

    t = np.arange(0, seconds * 1000, 20, dtype=np.int64)
    accel = np.tile([0.0, 0.0, 1.0], (len(t), 1))
    return traceio.Trace(Path("still"), {}, 50, "band", t, accel)


def app_loop_figures(trace: traceio.Trace | None = None, board: str = "m5stickc_plus2",
                     batch: int | None = None, gyro: bool | None = None,
                     show_every_rep: bool | None = None) -> dict:
    """The app's loop measured in MicroPython (see the module doc). `batch`: the driver's
    buffer in samples (None: the app's, the whole FIFO); the app reads about half of it each
    period. gyro None: as the app opens the IMU (app.USES_GYRO)."""
    from host_tools.sim.bench_traces import default_trace
    from host_tools.sim.mpy_runtime import run_micropython

    gyro = bool(_app().USES_GYRO) if gyro is None else gyro
    trace = trace or default_trace()
    imu = _driver(board, gyro, batch)
    per_read = imu.max_batch // 2
    period_ms = imu.max_batch * 500 // BAND_RATE_HZ  # as app.App sets period_ms
    files = {n: (FAKES_DIR / n).read_bytes()
             for n in ("machine.py", "imu_models.py", "vclock.py")}
    files.update({p.name: p.read_bytes() for p in BOARDS_DIR.glob("*.json")})
    files["fifo.bin"] = fifo_bytes(trace, board, period_ms, gyro=gyro)
    files["still.bin"] = fifo_bytes(still_trace(), board, period_ms, gyro=gyro)
    script = _MP_APP_LOOP % {"per_read": per_read, "frame": imu._frame, "batch": repr(batch),
                             "board": board, "rate": BAND_RATE_HZ}
    every = _app().SHOW_EVERY_REP if show_every_rep is None else show_every_rep
    # the app as it is, or with another of its choices (to measure what that one costs)
    script = script.replace("import gc, time, machine, fakeband",
                            "import gc, time, machine, app, fakeband\n"
                            "app.USES_GYRO = %r\napp.SHOW_EVERY_REP = %r" % (gyro, every))
    out = run_micropython(script, files, heap_bytes=64 << 20)
    line = next(x for x in out.splitlines() if x.startswith("P "))
    (batches, per, period, quiet, q_min, q_max, events, e_max, reps, sets,
     _, _, ex_spi, ex_events, st_n, st_wire, blocks, quiet_milli, extra_milli
     ) = map(int, line.split()[1:])
    from host_tools.traces.replay import replay_trace

    replayed = replay_trace(trace)["sets"]
    in_sets_ms = sum(x["end_ms"] - x["start_ms"] for x in replayed)
    return {
        "set_ms_per_rep": in_sets_ms / max(1, sum(x["reps"] for x in replayed)),
        "trace": str(trace.path), "board": board, "gyro": gyro, "show_every_rep": every,
        "batches": batches,
        "samples_per_batch": per, "period_ms": period, "fifo_frame_bytes": imu._frame,
        "quiet_batches": quiet, "event_batches": events, "reps": reps, "sets": sets,
        # heap bytes allocated by one batch without an event (min and max over all of them)
        "quiet_batch_alloc_bytes": [q_min, q_max], "event_batch_alloc_max_bytes": e_max,
        # time: the median block of a quiet batch, and the median run's extra per event, in
        # iterations of the reference loop (timed beside them, see the script)
        "quiet_batch_in_reference_loops": quiet_milli / 1000, "timed_blocks": blocks,
        "event_extra_in_reference_loops": max(0.0, extra_milli / 1000),
        "i2c_bytes_per_batch": st_wire / st_n,
        "spi_bytes_per_event": ex_spi / ex_events if ex_events else 0.0,
    }


# ---------------------------------------------------------------------------- the estimate

@dataclass(frozen=True)
class Input:
    value: float
    unit: str
    source: str  # "datasheet: ...", "published: ...", "measured: ..." or "assumption: ..."


# The ESP32's speed: one iteration of the bench's reference loop at 240 MHz, from published
# pystone figures (1000-1660 pystones/s, MicroPython issues 5673 and 6565) and one pystone =
# 12.5 such iterations (measured on MicroPython's unix port: ../shared/docs/micropython-notes.md)
PYSTONES_PER_S = (1000.0, 1660.0)
LOOPS_PER_PYSTONE = 12.5
SPEEDS = ("slow", "fast")
# ESP32 datasheet (v4.x, table "power consumption by power modes"), modem-sleep, dual-core
# chip, mA at each CPU clock the app may set
MODEM_SLEEP_MA = {
    80: (20, 31),
    160: (27, 44),
    240: (30, 68),
}  # the ends of every range: the ESP32 as slow / as fast as published


def power_inputs(board_name: str = "m5stickc_plus2", fig: dict | None = None
                 ) -> dict[str, Input]:
    d = "datasheet: "
    a = "assumption: "
    pub = "published: "
    board = json.loads((BOARDS_DIR / f"{board_name}.json").read_text())
    pystone = (f"{pub}ESP32 MicroPython pystone {PYSTONES_PER_S[0]:.0f}-{PYSTONES_PER_S[1]:.0f}/s "
               f"at 240 MHz (MicroPython issues 5673 and 6565), 1 pystone = "
               f"{LOOPS_PER_PYSTONE} reference-loop iterations (measured on MicroPython's unix "
               "port, 32-bit, single precision; ../shared/docs/micropython-notes.md)")
    app = _app()
    mhz = app.CPU_HZ // 1000000
    run = MODEM_SLEEP_MA[mhz]
    return {
        # the ESP32 (ESP32-PICO-V3-02 on the Plus2), radio off
        "esp32_run_ma": Input(
            sum(run) / 2,
            "mA",
            d + "ESP32 datasheet, power consumption by "
            f"power modes: modem-sleep (CPU on, radio off) {run[0]}-{run[1]} mA "
            f"at {mhz} MHz (dual core); the middle of the range",
        ),
        "esp32_idle_ma": Input(
            float(run[0]),
            "mA",
            a + f"CPU idle in time.sleep_ms at {mhz} MHz "
            "(FreeRTOS idle, clocks on, no light sleep): the low end of the "
            f"datasheet's {mhz} MHz modem-sleep range",
        ),
        "esp32_light_sleep_ma": Input(0.8, "mA", d + "ESP32 datasheet: light-sleep 0.8 mA"),
        "esp32_deep_sleep_ma": Input(
            0.01,
            "mA",
            d + "ESP32 datasheet: deep-sleep, RTC timer + "
            "RTC memory 10 uA (ext0 wake keeps RTC IO on: a little more)",
        ),
        "wake_ms": Input(
            1.0, "ms", a + "light-sleep wake-up and going back, per batch, at the running current"
        ),
        "ref_iteration_us_240mhz_slow": Input(
            1e6 / (PYSTONES_PER_S[0] * LOOPS_PER_PYSTONE), "us", pystone + ": the slow end"
        ),
        "ref_iteration_us_240mhz_fast": Input(
            1e6 / (PYSTONES_PER_S[1] * LOOPS_PER_PYSTONE), "us", pystone + ": the fast end"
        ),
        "cpu_mhz": Input(
            app.CPU_HZ / 1e6,
            "MHz",
            "firmware: app.CPU_HZ (the app sets it at start); CPU time scaled by 240/MHz",
        ),
        "i2c_hz": Input(
            float(board["imu"]["i2c"]["freq"]),
            "Hz",
            f"the board file ({board_name}.json: imu.i2c.freq); 9 bit times a byte",
        ),
        "spi_hz": Input(float(_display().SPI_HZ), "Hz", "firmware: display.SPI_HZ"),
        "host_listen_ms": Input(
            float(app.HOST_LISTEN_MS),
            "ms",
            "firmware: app.HOST_LISTEN_MS "
            "(a board without usb_sense stays awake this long after each "
            "start for a host; the Plus2 has none)"
            if "usb_sense" not in board
            else "firmware: app.HOST_LISTEN_MS (not used: this board senses USB power)",
        ),
        # the IMU
        "imu_6axis_ma": Input(
            3.8,
            "mA",
            d + "MPU-6000/6050 product spec rev 3.4, 6.3: gyro + "
            "accel 3.8 mA; used for the MPU6886 (its own figure not checked)",
        ),
        "imu_accel_ma": Input(
            0.5,
            "mA",
            d + "MPU-6000/6050 product spec rev 3.4, 6.3: "
            "accelerometer only (gyro in standby) 500 uA; used for the MPU6886",
        ),
        "imu_wom_ma": Input(
            0.07,
            "mA",
            d + "MPU-6050 spec 6.3: accel low-power mode at 20 Hz "
            "70 uA (1.25 Hz: 10 uA); used for the MPU6886's wake-on-motion",
        ),
        "imu_sleep_ma": Input(
            0.005,
            "mA",
            d + "MPU-6050 spec 6.3: full-chip idle (sleep) 5 uA; "
            "the IMU in deep sleep where no pin can take its interrupt",
        ),
        # the rest of the board
        "lcd_backlight_ma": Input(
            15.0, "mA", a + "Plus2 backlight LED at full brightness (not in a datasheet we have)"
        ),
        "lcd_panel_on_ma": Input(2.0, "mA", a + "ST7789V2 logic, normal mode, static picture"),
        "lcd_panel_sleep_ma": Input(0.02, "mA", a + "ST7789V2 in sleep-in mode"),
        "buzzer_ma": Input(20.0, "mA", a + "passive buzzer on a 2.7 kHz PWM, while it sounds"),
        "board_ma": Input(
            0.1,
            "mA",
            a + "Plus2 always-on parts on battery: regulator "
            "quiescent, battery divider on G38, BM8563 RTC, pull-ups",
        ),
        "battery_mah": Input(
            float(board.get("battery_mah", 200)),
            "mAh",
            f"the board file ({board_name}.json: battery_mah)",
        ),
        "usable_fraction": Input(
            0.85, "", a + "share of the battery the band can use before brown-out"
        ),
        # the wearer's day
        "reps_per_session": Input(
            100.0,
            "",
            a + "one 15-minute session = half the day's goal (100 per exercise, two exercises)",
        ),
        "session_min": Input(15.0, "min", a + "two sessions a day"),
        "sessions_per_day": Input(
            2.0,
            "",
            a + "two sessions a day, each started with a button "
            "press (on the Plus2 only the button ends deep sleep)",
        ),
        "sets_per_session": Input(6.0, "", a + "sets in a session"),
        "set_s_per_rep": (
            Input(
                fig["set_ms_per_rep"] / 1000,
                "s",
                f"measured: a set's length per rep over {fig['trace']} (replay)",
            )
            if fig
            else Input(3.0, "s", a + "a set's length per rep")
        ),
        "idle_after_min": Input(
            app.IDLE_SLEEP_MS / 60000,
            "min",
            "firmware: app.IDLE_SLEEP_MS "
            "(counting goes on this long after the last rep, then deep "
            "sleep)",
        ),
        "awake_hours_worst": Input(
            16.0,
            "h",
            a + "worst case: the app counting all waking hours (e.g. motion wakes it all day)",
        ),
    }


def duty_cycle(fig: dict, inputs: dict[str, Input], speed: str = "slow") -> dict:
    """Awake time per batch on the band from the measured loop: CPU (measured as a multiple of
    the reference loop, times the ESP32's time for it at `speed`, scaled to the clock) + I2C
    transfer + wake-up."""
    v = {k: i.value for k, i in inputs.items()}
    ref_us = v[f"ref_iteration_us_240mhz_{speed}"] * 240 / v["cpu_mhz"]
    ratio = fig["quiet_batch_in_reference_loops"]
    cpu_ms = ratio * ref_us / 1000
    i2c_ms = fig["i2c_bytes_per_batch"] * 9 / v["i2c_hz"] * 1000
    awake_ms = cpu_ms + i2c_ms + v["wake_ms"]
    event_ms = (fig["event_extra_in_reference_loops"] * ref_us / 1000
                + fig["spi_bytes_per_event"] * 8 / v["spi_hz"] * 1000)
    return {"speed": speed, "period_ms": fig["period_ms"],
            "samples_per_batch": fig["samples_per_batch"],
            "batch_in_reference_loops": ratio, "cpu_ms": cpu_ms, "i2c_ms": i2c_ms,
            "wake_ms": v["wake_ms"], "awake_ms": awake_ms,
            "duty": awake_ms / fig["period_ms"], "event_ms": event_ms}


@dataclass(frozen=True)
class Scenario:
    name: str
    what: str
    counting_h: float  # hours a day the app runs (the rest: deep sleep)
    exercise_h: float  # of those, hours of exercise (LCD and buzzer busy)
    light_sleep: bool  # between batches, once no host may be listening (on battery)
    gyro: bool  # the IMU's gyro powered and in the FIFO
    starts_per_day: float  # app starts (each listens host_listen_ms awake before light sleep)
    every_rep: bool = False  # the screen lit at every rep (app.SHOW_EVERY_REP)

    @property
    def fig(self) -> str:  # which measurement of the app's loop it runs on
        return "gyro" if self.gyro else "every_rep" if self.every_rep else "default"

    def settings(self) -> dict:
        return {"imu": "accel + gyro" if self.gyro else "accelerometer only",
                "screen": "lit at every rep" if self.every_rep else
                          "lit at a set's start and end, the goal, a press",
                "between_batches": ("light sleep on battery" if self.light_sleep
                                    else "awake (time.sleep_ms): a host attached all along")}


def scenarios(inputs: dict[str, Input]) -> list[Scenario]:
    v = {k: i.value for k, i in inputs.items()}
    gyro = bool(_app().USES_GYRO)
    every = bool(_app().SHOW_EVERY_REP)
    n = v["sessions_per_day"]
    ex_h = n * v["session_min"] / 60
    run_h = n * (v["session_min"] + v["idle_after_min"]) / 60  # then deep sleep
    worn = (f"worn all waking hours, {n:.0f} sessions of {v['session_min']:.0f} min a day, each "
            f"started with a button press; counting ends {v['idle_after_min']:.0f} min after the "
            "last rep (deep sleep until the next press)")
    return [
        Scenario("daily", worn + "; the band's default settings", run_h, ex_h, True, gyro, n,
                 every),
        Scenario("daily, screen lit at every rep", worn + "; the screen lit at every rep (the "
                 "default before)", run_h, ex_h, True, gyro, n, True),
        Scenario("daily, gyro on", worn + "; the gyro powered and in the FIFO (the default "
                 "before)", run_h, ex_h, True, True, n, every),
        Scenario("daily, awake between batches", worn + "; no light sleep (what a band "
                 "attached to a host does; the default before)", run_h, ex_h, False, gyro, n,
                 every),
        Scenario("counting all waking hours", f"the app counting {v['awake_hours_worst']:.0f} h "
                 "a day (e.g. motion waking it all day), default settings",
                 v["awake_hours_worst"], ex_h, True, gyro, n, every),
        Scenario("standby", "deep sleep all day (not worn)", 0.0, 0.0, True, gyro, 0.0, every),
    ]


def state_currents(duty: dict, inputs: dict[str, Input], sc: Scenario,
                   board_name: str = "m5stickc_plus2") -> dict[str, float]:
    """Average mA of the band in each state."""
    v = {k: i.value for k, i in inputs.items()}
    board = json.loads((BOARDS_DIR / f"{board_name}.json").read_text())
    imu = v["imu_6axis_ma"] if sc.gyro else v["imu_accel_ma"]
    d = duty["duty"]

    def counting(between: float) -> float:
        return d * v["esp32_run_ma"] + (1 - d) * between + imu + v["board_ma"]

    light = counting(v["esp32_light_sleep_ma"] if sc.light_sleep else v["esp32_idle_ma"])
    awake = counting(v["esp32_idle_ma"])
    session_ms = v["session_min"] * 60000
    reps = v["reps_per_session"]
    # each show keeps the backlight on display.LIT_MS more. Lit at every rep: from a set's first
    # rep to LIT_MS after its end (its length from the measured trace's sets); else LIT_MS at
    # its first rep (or the set's length, if shorter) and LIT_MS at its end
    set_ms = reps / v["sets_per_session"] * v["set_s_per_rep"] * 1000
    per_set = set_ms + _lit_ms() if sc.every_rep else min(set_ms, _lit_ms()) + _lit_ms()
    lit = min(1.0, v["sets_per_session"] * per_set / session_ms)
    buzz = (reps * _pattern_ms("REP") + v["sets_per_session"] * _pattern_ms("SET_END")
            + _pattern_ms("GOAL")) / session_ms
    between = v["esp32_light_sleep_ma"] if sc.light_sleep else v["esp32_idle_ma"]
    events = reps * duty["event_ms"] / session_ms  # extra CPU and SPI per rep, at run current
    exercise_extra = (lit * (v["lcd_backlight_ma"] + v["lcd_panel_on_ma"])
                      + (1 - lit) * v["lcd_panel_sleep_ma"]
                      + buzz * v["buzzer_ma"] + events * (v["esp32_run_ma"] - between))
    wakes_on_motion = "int" in board["imu"]
    return {
        "counting, no exercise (LCD asleep)": light + v["lcd_panel_sleep_ma"],
        "counting, exercising (LCD lit after reps, buzzer)": light + exercise_extra,
        "listening for a host after a start (awake between batches)":
            awake + v["lcd_panel_sleep_ma"],
        "deep sleep (" + ("IMU wake-on-motion" if wakes_on_motion else "IMU asleep") + ")":
            v["esp32_deep_sleep_ma"] + (v["imu_wom_ma"] if wakes_on_motion else v["imu_sleep_ma"])
            + v["board_ma"] + v["lcd_panel_sleep_ma"],
    }


def day_mah(duty: dict, inputs: dict[str, Input], sc: Scenario) -> float:
    """mAh a day in scenario `sc`: the states weighted by their hours."""
    v = {k: i.value for k, i in inputs.items()}
    idle, exercising, listening, deep = state_currents(duty, inputs, sc).values()
    listen_h = min(sc.counting_h, sc.starts_per_day * v["host_listen_ms"] / 3.6e6)
    if not sc.light_sleep or "not used" in inputs["host_listen_ms"].source:
        listen_h = 0.0  # awake all along anyway, or the board senses USB power instead
    return (sc.exercise_h * exercising + (sc.counting_h - sc.exercise_h) * idle
            + listen_h * (listening - idle) + (24 - sc.counting_h) * deep)


def scenario_rows(figs: dict, inputs: dict[str, Input]) -> list[dict]:
    """Per scenario: its settings, the day's average current and how long the battery lasts,
    each as a range [low, high] over the ESP32's published speed range. figs: the app's loop
    as measured by app_loop_figures, by Scenario.fig ("default", "gyro", "every_rep"), or one
    measurement for all."""
    v = {k: i.value for k, i in inputs.items()}
    usable = v["battery_mah"] * v["usable_fraction"]
    if "period_ms" in figs:
        figs = {"default": figs, "gyro": figs, "every_rep": figs}
    app = _app()
    rows = []
    for sc in scenarios(inputs):
        fig = figs[sc.fig]
        ma = {s: day_mah(duty_cycle(fig, inputs, s), inputs, sc) / 24 for s in SPEEDS}
        rows.append(
            {
                "name": sc.name,
                "what": sc.what,
                "settings": sc.settings(),
                "default_settings": (
                    sc.light_sleep
                    and sc.gyro == app.USES_GYRO
                    and sc.every_rep == app.SHOW_EVERY_REP
                ),
                "average_ma": [round(ma["fast"], 3), round(ma["slow"], 3)],
                "battery_days": [
                    round(usable / ma["slow"] / 24, 1),
                    round(usable / ma["fast"] / 24, 1),
                ],
            }
        )
    return rows


def _app():
    return firmware.load("app")


def _display():
    return firmware.load("display")


def _lit_ms() -> int:
    return _display().LIT_MS


def _pattern_ms(name: str) -> int:
    return sum(on + off for on, off in getattr(firmware.load("feedback"), name))


def _days(r: list[float]) -> str:
    return f"{r[0]:.0f}-{r[1]:.0f} days" if r[0] >= 3 else f"{24 * r[0]:.0f}-{24 * r[1]:.0f} h"


def format_report(figs: dict, inputs: dict[str, Input]) -> str:
    fig = figs.get("default", figs)
    slow, fast = (duty_cycle(fig, inputs, s) for s in SPEEDS)
    lines = [f"App loop measured in MicroPython over {fig['trace']} on {fig['board']} "
             f"({'accel + gyro' if fig['gyro'] else 'accelerometer only'}, "
             f"{fig['fifo_frame_bytes']} FIFO bytes a sample):",
             f"  {fig['batches']} batches of {fig['samples_per_batch']} samples every "
             f"{fig['period_ms']} ms ({fig['reps']} reps, {fig['sets']} sets); heap per batch "
             f"without an event {fig['quiet_batch_alloc_bytes'][0]}-"
             f"{fig['quiet_batch_alloc_bytes'][1]} bytes, with one up to "
             f"{fig['event_batch_alloc_max_bytes']}",
             f"  one batch = {slow['batch_in_reference_loops']:.0f} reference-loop iterations; "
             f"{fig['i2c_bytes_per_batch']:.0f} bytes on I2C; an event adds "
             f"{fig['spi_bytes_per_event']:.0f} bytes on SPI",
             "",
             f"Duty cycle on the ESP32 at {inputs['cpu_mhz'].value:.0f} MHz (estimate, the ESP32 "
             f"as fast / as slow as published): awake {fast['awake_ms']:.1f}-"
             f"{slow['awake_ms']:.1f} ms of every {slow['period_ms']} ms = "
             f"{100 * fast['duty']:.1f}-{100 * slow['duty']:.1f} % (CPU {fast['cpu_ms']:.1f}-"
             f"{slow['cpu_ms']:.1f} ms, I2C {slow['i2c_ms']:.1f} ms, wake-up "
             f"{slow['wake_ms']:.1f} ms); a rep adds {fast['event_ms']:.1f}-"
             f"{slow['event_ms']:.1f} ms (events: reps and set ends)",
             ""]
    daily = scenarios(inputs)[0]
    lines.append("State currents, daily scenario, the ESP32 at the slow end:")
    lines += [f"  {k:<60} {ma:7.2f} mA" for k, ma in state_currents(slow, inputs, daily).items()]
    lines += ["", f"Battery life, M5StickC Plus2 ({inputs['battery_mah'].value:.0f} mAh, "
              f"{100 * inputs['usable_fraction'].value:.0f} % usable), low-high:", "",
              "| scenario | IMU | screen | between batches | average | battery life |",
              "|---|---|---|---|---|---|"]
    for r in scenario_rows(figs, inputs):
        st = r["settings"]
        name = r["name"] + (
            " (default settings)" if r["default_settings"] and r["name"] != "standby" else ""
        )
        lines.append(f"| {name} | {st['imu']} | {st['screen']} | {st['between_batches']} | "
                     f"{r['average_ma'][0]:.2f}-{r['average_ma'][1]:.2f} mA | "
                     f"{_days(r['battery_days'])} |")
    lines += ["", "Inputs:"]
    lines += [f"  {k} = {i.value:g} {i.unit}  ({i.source})" for k, i in inputs.items()]
    return "\n".join(lines)


def _with_ref(inputs: dict[str, Input], ref_us: float) -> dict[str, Input]:
    out = dict(inputs)
    for s in SPEEDS:
        key = f"ref_iteration_us_240mhz_{s}"
        out[key] = replace(inputs[key], value=ref_us, source="given (--ref-us)")
    return out


def measure_all() -> dict:
    """The app's loop as it is, and with each default it changed undone (the gyro on, the
    screen lit at every rep), so each scenario runs on its own measurement."""
    return {"default": app_loop_figures(),
            "gyro": app_loop_figures(gyro=True),
            "every_rep": app_loop_figures(show_every_rep=True)}


def power_figures(ref_us: float | None = None) -> dict:
    """What `repband bench --power --json` prints: the scenarios, the measured loop (its
    source) and every input with its source."""
    figs = measure_all()
    fig = figs["default"]
    inputs = power_inputs(fig=fig)
    if ref_us is not None:
        inputs = _with_ref(inputs, ref_us)
    src = ("measured: app.App.step in MicroPython (this machine), gc.mem_alloc() with the "
           "collector off, time as a multiple of the reference loop")
    return {
        "scenarios": scenario_rows(figs, inputs),
        "duty_cycle": {s: duty_cycle(fig, inputs, s) for s in SPEEDS},
        "measured": {k: dict(f, source=src) for k, f in figs.items()},
        "inputs": {k: {"value": i.value, "unit": i.unit, "source": i.source}
                   for k, i in inputs.items()},
    }


def run_power(ref_us: float | None = None, as_json: bool = False) -> str:
    if as_json:
        return json.dumps(power_figures(ref_us), indent=1)
    figs = measure_all()
    inputs = power_inputs(fig=figs["default"])
    if ref_us is not None:
        inputs = _with_ref(inputs, ref_us)
    return format_report(figs, inputs)
