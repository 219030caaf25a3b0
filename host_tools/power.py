"""`repband bench --power`: the app's duty cycle and the M5StickC Plus2's battery life.

What is measured (MicroPython, here): the band's app (app.App.step: FIFO burst through the real
MPU6886 driver, the counter, feedback, the LCD on events) over a recorded trace, batch by batch,
with the IMU's FIFO bytes recorded beforehand so only firmware runs; per batch its time, its heap
allocation and the bytes it moves on I2C, and the same fixed reference loop `repband bench` uses.

What is assumed: how fast an ESP32 runs that reference loop (no ESP32 here), and the currents of
the parts (ESP32, IMU, LCD, buzzer, the board itself). Every input says whether it is a datasheet
figure or an assumption; the table is computed from them (`battery_table`), so changing one input
changes the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from host_tools import BOARDS_DIR, REPO_ROOT, firmware, traceio

FAKES_DIR = REPO_ROOT / "host_tools" / "fakes"
BAND_RATE_HZ = 50  # what the app asks of the IMU (mpu6886.open)

_MP_APP_LOOP = """
import gc, time, machine, fakeband
from array import array
PER_READ = %(per_read)d
BATCH = %(batch)d
WARM = 20
machine.record = False  # the fakes' own bookkeeping is not the firmware's
runs = [0]

def band(name):
    data = open('/lib/' + name, 'rb').read()
    bus = fakeband.ReplayI2C(data, PER_READ)
    runs[0] += 1
    app, clock = fakeband.build('%(board)s', '/applog%%d' %% runs[0], bus, %(rate)d, batch=BATCH)
    for _ in range(WARM):
        app.step()
        clock.ms += app.period_ms
    return app, clock, bus, len(data) // (PER_READ * 14) - WARM

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

# 2. time: the ticks here count whole milliseconds, so runs of batches are timed, not batches
def timed(name):
    app, clock, bus, K = band(name)
    spi = app.display.spi if app.display is not None else None
    spi0 = spi.written if spi is not None else 0
    wire0 = bus.wire_bytes
    n = 0
    gc.collect()
    gc.disable()  # a collection landing in one run and not another is noise, not the loop
    t0 = time.ticks_us()
    while n < K and not bus.done():
        app.step()
        clock.ms += app.period_ms
        n += 1
    us = time.ticks_diff(time.ticks_us(), t0)
    gc.enable()
    return (n, us, bus.wire_bytes - wire0,
            (spi.written if spi is not None else 0) - spi0, app.reps + app.sets)

def fastest(name):  # the least disturbed of a few runs
    runs = [timed(name) for _ in range(3)]
    return min(runs, key=lambda r: r[1])

ex = fastest('fifo.bin')
still = fastest('still.bin')

def reference(t, ax, ay, az, lo, hi):
    s = 0
    for i in range(lo, hi):
        s += t[i] + ax[i] + ay[i] + az[i]
    return s

nr = 200000
r = array('i', range(nr))
reference(r, r, r, r, 0, nr)  # warm up (the WebAssembly engine compiles hot code late)
t0 = time.ticks_us()
reference(r, r, r, r, 0, nr)
t_ref = time.ticks_diff(time.ticks_us(), t0)
print('P', i, PER_READ, app.period_ms, len(q), min(q), max(q), len(e), max(e or [0]),
      app.reps, app.sets, *ex, *still, t_ref, nr)
"""


def fifo_bytes(trace: traceio.Trace, board_name: str, period_ms: int, rate_hz: int = BAND_RATE_HZ
               ) -> bytes:
    """The FIFO bytes an MPU6886 on `board_name` would hold over `trace`, read every period_ms
    (the register model on CPython, set up by the real driver)."""
    from host_tools.fakes.imu_models import FakeI2C, ManualClock, MPU6886Model, SampleSource

    board = firmware.load("board").load(board_name, str(BOARDS_DIR))
    mpu = firmware.load("mpu6886")
    t, *cols = (c.tolist() for c in traceio.counter_ints(trace))
    clock = ManualClock(0)
    model = MPU6886Model(clock, SampleSource(t, cols), board.imu["part"], board.imu["to_band"])
    mpu.MPU6886(FakeI2C({board.imu["address"]: model}), board.imu["address"], board.imu["part"],
                rate_hz=rate_hz, to_band=board.to_band, sleep_ms=clock.sleep_ms)
    out = bytearray()
    while clock.ms < t[-1]:
        clock.ms += period_ms
        cnt = model.read(0x72, 2)
        k = ((cnt[0] << 8) | cnt[1]) // 14 * 14
        out += model.read(0x74, k)
    return bytes(out)


def still_trace(seconds: int = 200) -> traceio.Trace:
    """Lying on the side, not moving (thigh up: z = 1 g): the app's quiet steady state."""
    import numpy as np

    t = np.arange(0, seconds * 1000, 20, dtype=np.int64)
    accel = np.tile([0.0, 0.0, 1.0], (len(t), 1))
    return traceio.Trace(Path("still"), {}, 50, "band", t, accel)


def app_loop_figures(trace: traceio.Trace | None = None, board: str = "m5stickc_plus2",
                     batch: int = 64) -> dict:
    """The app's loop measured in MicroPython (see the module doc). `batch` is the driver's
    buffer in samples; the app reads about half of it each period."""
    from host_tools.bench import _default_trace
    from host_tools.mpy_runtime import run_micropython

    trace = trace or _default_trace()
    per_read = batch // 2
    period_ms = batch * 500 // BAND_RATE_HZ
    files = {n: (FAKES_DIR / n).read_bytes()
             for n in ("machine.py", "imu_models.py", "vclock.py")}
    files.update({p.name: p.read_bytes() for p in BOARDS_DIR.glob("*.json")})
    files["fifo.bin"] = fifo_bytes(trace, board, period_ms)
    files["still.bin"] = fifo_bytes(still_trace(), board, period_ms)
    script = _MP_APP_LOOP % {"per_read": per_read, "batch": batch, "board": board,
                             "rate": BAND_RATE_HZ}
    out = run_micropython(script, files, heap_bytes=64 << 20)
    line = next(x for x in out.splitlines() if x.startswith("P "))
    (batches, per, period, quiet, q_min, q_max, events, e_max, reps, sets,
     ex_n, ex_us, ex_wire, ex_spi, ex_events, st_n, st_us, st_wire, _, _, t_ref, n_ref
     ) = map(int, line.split()[1:])
    quiet_us = st_us / st_n
    return {
        "trace": str(trace.path), "board": board, "batches": batches,
        "samples_per_batch": per, "period_ms": period,
        "quiet_batches": quiet, "event_batches": events, "reps": reps, "sets": sets,
        # heap bytes allocated by one batch without an event (min and max over all of them)
        "quiet_batch_alloc_bytes": [q_min, q_max], "event_batch_alloc_max_bytes": e_max,
        "quiet_batch_us_here": quiet_us,
        "event_extra_us_here": (ex_us - ex_n * quiet_us) / ex_events if ex_events else 0.0,
        "reference_iteration_us_here": t_ref / n_ref,
        "i2c_bytes_per_batch": st_wire / st_n,
        "spi_bytes_per_event": ex_spi / ex_events if ex_events else 0.0,
    }


# ---------------------------------------------------------------------------- the estimate

@dataclass(frozen=True)
class Input:
    value: float
    unit: str
    source: str  # "datasheet: ..." (a fact from a named document) or "assumption: ..."


def power_inputs() -> dict[str, Input]:
    d = "datasheet: "
    a = "assumption: "
    plus2 = json.loads((BOARDS_DIR / "m5stickc_plus2.json").read_text())
    return {
        # the ESP32 (ESP32-PICO-V3-02 on the Plus2), radio off
        "esp32_run_80mhz_ma": Input(25.0, "mA", d + "ESP32 datasheet, power consumption by power "
                                    "modes: modem-sleep (CPU on, radio off) 20-31 mA at 80 MHz; "
                                    "the middle of the range"),
        "esp32_idle_80mhz_ma": Input(20.0, "mA", a + "CPU idle in time.sleep_ms (FreeRTOS idle, "
                                     "clocks on, no light sleep): the low end of the datasheet's "
                                     "80 MHz modem-sleep range"),
        "esp32_light_sleep_ma": Input(0.8, "mA", d + "ESP32 datasheet: light-sleep 0.8 mA"),
        "esp32_deep_sleep_ma": Input(0.01, "mA", d + "ESP32 datasheet: deep-sleep, RTC timer + "
                                     "RTC memory 10 uA (ext0 wake keeps RTC IO on: a little more)"),
        "wake_ms": Input(1.0, "ms", a + "light-sleep wake-up and going back, per batch, at the "
                         "running current"),
        "ref_iteration_us_240mhz": Input(8.0, "us", a + "ESP32 at 240 MHz runs one iteration of "
                                         "the bench reference loop (4 array loads, 4 adds, ~19 "
                                         "bytecodes) in 8 us, ~0.4 us a bytecode; scaled by "
                                         "240/MHz; measure it on a band to replace this"),
        "cpu_mhz": Input(_app().CPU_HZ / 1e6, "MHz", "app.CPU_HZ (the app sets it at start)"),
        "i2c_hz": Input(float(plus2["imu"]["i2c"]["freq"]), "Hz", "the board file's I2C clock; "
                        "9 bit times a byte"),
        "spi_hz": Input(float(_display().SPI_HZ), "Hz", "display.SPI_HZ"),
        # the IMU
        "imu_6axis_ma": Input(3.8, "mA", d + "MPU-6000/6050 product spec rev 3.4, 6.3: gyro + "
                              "accel 3.8 mA; used for the MPU6886 (its own figure not checked)"),
        "imu_wom_ma": Input(0.07, "mA", d + "MPU-6050 spec 6.3: accel low-power mode at 20 Hz "
                            "70 uA (1.25 Hz: 10 uA); used for the MPU6886's wake-on-motion"),
        # the rest of the board
        "lcd_backlight_ma": Input(15.0, "mA", a + "Plus2 backlight LED at full brightness "
                                  "(not in a datasheet we have)"),
        "lcd_panel_on_ma": Input(2.0, "mA", a + "ST7789V2 logic, normal mode, static picture"),
        "lcd_panel_sleep_ma": Input(0.02, "mA", a + "ST7789V2 in sleep-in mode"),
        "buzzer_ma": Input(20.0, "mA", a + "passive buzzer on a 2.7 kHz PWM, while it sounds"),
        "board_ma": Input(0.1, "mA", a + "Plus2 always-on parts on battery: regulator "
                          "quiescent, battery divider on G38, BM8563 RTC, pull-ups"),
        "battery_mah": Input(float(plus2["battery_mah"]), "mAh", "the board file "
                             "(m5stickc_plus2.json: battery_mah)"),
        "usable_fraction": Input(0.85, "", a + "share of the battery the band can use before "
                                 "brown-out"),
        # the wearer's day
        "reps_per_session": Input(100.0, "", a + "one 15-minute session = half the day's goal "
                                  "(100 per exercise, two exercises)"),
        "session_min": Input(15.0, "min", a + "two sessions a day"),
        "sessions_per_day": Input(2.0, "", a + "two sessions a day"),
        "sets_per_session": Input(6.0, "", a + "sets in a session"),
        "awake_hours_worst": Input(16.0, "h", a + "worst case: the app counting all waking "
                                   "hours (e.g. motion wakes it all day)"),
    }


def duty_cycle(fig: dict, inputs: dict[str, Input]) -> dict:
    """Awake time per batch on the band from the measured loop: CPU (measured as a multiple of
    the reference loop, times the assumed ESP32 speed) + I2C transfer + wake-up."""
    v = {k: i.value for k, i in inputs.items()}
    ref_us = v["ref_iteration_us_240mhz"] * 240 / v["cpu_mhz"]
    ratio = fig["quiet_batch_us_here"] / fig["reference_iteration_us_here"]
    cpu_ms = ratio * ref_us / 1000
    i2c_ms = fig["i2c_bytes_per_batch"] * 9 / v["i2c_hz"] * 1000
    awake_ms = cpu_ms + i2c_ms + v["wake_ms"]
    event_ms = (fig["event_extra_us_here"] / fig["reference_iteration_us_here"] * ref_us / 1000
                + fig["spi_bytes_per_event"] * 8 / v["spi_hz"] * 1000)
    return {"period_ms": fig["period_ms"], "samples_per_batch": fig["samples_per_batch"],
            "batch_in_reference_loops": ratio, "cpu_ms": cpu_ms, "i2c_ms": i2c_ms,
            "wake_ms": v["wake_ms"], "awake_ms": awake_ms,
            "duty": awake_ms / fig["period_ms"], "event_ms": event_ms}


@dataclass(frozen=True)
class Scenario:
    name: str
    counting_h: float  # hours a day the app runs (the rest: deep sleep)
    exercise_h: float  # of those, hours of exercise (LCD and buzzer busy)
    light_sleep: bool


def scenarios(inputs: dict[str, Input]) -> list[Scenario]:
    v = {k: i.value for k, i in inputs.items()}
    ex_h = v["sessions_per_day"] * v["session_min"] / 60
    # after each session the app runs IDLE_SLEEP_MS (5 min) more before deep sleep
    run_h = v["sessions_per_day"] * (v["session_min"] + 5) / 60
    out = []
    for ls in (True, False):
        out.append(Scenario("worn all day, 2 x 15 min exercise", run_h, ex_h, ls))
        out.append(Scenario("counting all waking hours", v["awake_hours_worst"], ex_h, ls))
    out.append(Scenario("standby (deep sleep, IMU wake-on-motion)", 0.0, 0.0, True))
    return out


def state_currents(duty: dict, inputs: dict[str, Input], light_sleep: bool) -> dict[str, float]:
    """Average mA of the band in each state."""
    v = {k: i.value for k, i in inputs.items()}
    between = v["esp32_light_sleep_ma"] if light_sleep else v["esp32_idle_80mhz_ma"]
    d = duty["duty"]
    counting = d * v["esp32_run_80mhz_ma"] + (1 - d) * between + v["imu_6axis_ma"] + v["board_ma"]
    session_ms = v["session_min"] * 60000
    reps = v["reps_per_session"]
    lit = min(1.0, reps * _lit_ms() / session_ms)
    buzz = (reps * _pattern_ms("REP") + v["sets_per_session"] * _pattern_ms("SET_END")
            + _pattern_ms("GOAL")) / session_ms
    events = reps * duty["event_ms"] / session_ms  # extra CPU and SPI per rep, at run current
    exercise_extra = (lit * (v["lcd_backlight_ma"] + v["lcd_panel_on_ma"])
                      + (1 - lit) * v["lcd_panel_sleep_ma"]
                      + buzz * v["buzzer_ma"] + events * (v["esp32_run_80mhz_ma"] - between))
    return {
        "counting, no exercise (LCD asleep)": counting + v["lcd_panel_sleep_ma"],
        "counting, exercising (LCD lit after reps, buzzer)": counting + exercise_extra,
        "deep sleep (IMU wake-on-motion)": v["esp32_deep_sleep_ma"] + v["imu_wom_ma"]
        + v["board_ma"] + v["lcd_panel_sleep_ma"],
    }


def battery_table(duty: dict, inputs: dict[str, Input]) -> list[dict]:
    """Per scenario: the day's average current and how long the battery lasts."""
    v = {k: i.value for k, i in inputs.items()}
    usable = v["battery_mah"] * v["usable_fraction"]
    rows = []
    for sc in scenarios(inputs):
        st = state_currents(duty, inputs, sc.light_sleep)
        idle_count = st["counting, no exercise (LCD asleep)"]
        exercising = st["counting, exercising (LCD lit after reps, buzzer)"]
        deep = st["deep sleep (IMU wake-on-motion)"]
        mah_day = (sc.exercise_h * exercising + (sc.counting_h - sc.exercise_h) * idle_count
                   + (24 - sc.counting_h) * deep)
        avg = mah_day / 24
        between = "light sleep" if sc.light_sleep else "sleep_ms (idle)"
        rows.append({"scenario": sc.name, "between_batches": between if sc.counting_h else "-",
                     "avg_ma": avg, "hours": usable / avg})
    return rows


def _app():
    return firmware.load("app")


def _display():
    return firmware.load("display")


def _lit_ms() -> int:
    return _display().LIT_MS


def _pattern_ms(name: str) -> int:
    return sum(on + off for on, off in getattr(firmware.load("feedback"), name))


def format_report(fig: dict, duty: dict, inputs: dict[str, Input]) -> str:
    lines = [f"App loop measured in MicroPython over {fig['trace']} on {fig['board']}:",
             f"  {fig['batches']} batches of {fig['samples_per_batch']} samples every "
             f"{fig['period_ms']} ms ({fig['reps']} reps, {fig['sets']} sets); heap per batch "
             f"without an event {fig['quiet_batch_alloc_bytes'][0]}-"
             f"{fig['quiet_batch_alloc_bytes'][1]} bytes, with one up to "
             f"{fig['event_batch_alloc_max_bytes']}",
             f"  one batch = {duty['batch_in_reference_loops']:.0f} reference-loop iterations; "
             f"{fig['i2c_bytes_per_batch']:.0f} bytes on I2C; an event adds "
             f"{fig['spi_bytes_per_event']:.0f} bytes on SPI",
             "",
             f"Duty cycle on the ESP32 at {inputs['cpu_mhz'].value:.0f} MHz (estimate): awake "
             f"{duty['awake_ms']:.1f} ms of every {duty['period_ms']} ms = {100 * duty['duty']:.1f} %"
             f" (CPU {duty['cpu_ms']:.1f} ms, I2C {duty['i2c_ms']:.1f} ms, wake-up "
             f"{duty['wake_ms']:.1f} ms); a rep adds {duty['event_ms']:.1f} ms",
             "  with the ESP32 twice as fast or twice as slow as assumed: "
             + " / ".join(f"{100 * duty_cycle(fig, _scaled(inputs, k))['duty']:.1f} %"
                          for k in (0.5, 2.0)),
             ""]
    for ls in (True, False):
        st = state_currents(duty, inputs, ls)
        lines.append("State currents, " + ("light sleep between batches:" if ls else
                                           "time.sleep_ms between batches (the default):"))
        lines += [f"  {k:<52} {ma:7.2f} mA" for k, ma in st.items()]
    lines += ["", f"Battery life, M5StickC Plus2 ({inputs['battery_mah'].value:.0f} mAh, "
              f"{100 * inputs['usable_fraction'].value:.0f} % usable):", "",
              "| scenario | between batches | average | battery life |", "|---|---|---|---|"]
    for r in battery_table(duty, inputs):
        life = f"{r['hours']:.0f} h" if r["hours"] < 72 else f"{r['hours'] / 24:.0f} days"
        lines.append(f"| {r['scenario']} | {r['between_batches']} | {r['avg_ma']:.2f} mA | {life} |")
    lines += ["", "Inputs:"]
    lines += [f"  {k} = {i.value:g} {i.unit}  ({i.source})" for k, i in inputs.items()]
    return "\n".join(lines)


def _scaled(inputs: dict[str, Input], k: float) -> dict[str, Input]:
    out = dict(inputs)
    ref = inputs["ref_iteration_us_240mhz"]
    out["ref_iteration_us_240mhz"] = replace(ref, value=ref.value * k)
    return out


def run_power(ref_us: float | None = None) -> str:
    inputs = power_inputs()
    if ref_us is not None:
        inputs["ref_iteration_us_240mhz"] = replace(inputs["ref_iteration_us_240mhz"],
                                                    value=ref_us, source="given (--ref-us)")
    fig = app_loop_figures()
    return format_report(fig, duty_cycle(fig, inputs), inputs)

