"""The band's app over a whole recording, on the fakes: the reps it logs are the reps replay
counts; feedback, mode button, watchdog, Ctrl-C and idle sleep behave."""

import pytest

from host_tools import BOARDS_DIR, firmware, traceio
from host_tools.fakes import machine as fake_machine
from host_tools.fakes.imu_models import FakeI2C, MPU6886Model, SampleSource
from host_tools.fakes.vclock import VirtualClock
from host_tools.replay import replay_trace
from host_tools.synth import make_session

app_mod = firmware.load("app")
board_mod = firmware.load("board")
feedback_mod = firmware.load("feedback")
mpu = firmware.load("mpu6886")
replog = firmware.load("replog")
counter = firmware.load("counter")


def wear(trace, tmp_path, board="m5stickc_plus2", cfg=None, extra_ms=20_000, until=None):
    """Run the app on a band wearing `trace` until the trace is over (+ extra_ms)."""
    b = board_mod.load(board, str(BOARDS_DIR))
    clock = VirtualClock(0)
    t, *cols = (c.tolist() for c in traceio.counter_ints(trace))
    model = MPU6886Model(clock, SampleSource(t, cols), b.imu["part"], to_band=b.imu["to_band"])
    fake_machine.bus = FakeI2C({b.imu["address"]: model})
    fake_machine.events.clear()
    imu = mpu.MPU6886(fake_machine.bus, b.imu["address"], b.imu["part"],
                      rate_hz=round(trace.sample_rate_hz), to_band=b.to_band, sleep_ms=clock.sleep_ms)
    log = replog.Log(str(tmp_path / "log"))
    log.boot(fake_machine.reset_cause())
    fb = feedback_mod.Feedback(b, clock, fake_machine, True)
    cfg = dict({"goal": 100, "mode": "auto", "feedback": True}, **(cfg or {}))
    app = app_mod.App(imu, log, fb, cfg, clock, fake_machine, b)
    end = t[-1] + extra_ms
    app.run(until or (lambda a: clock.ms > end))
    app.drain()
    log.close()
    return app, log, clock


def logged_reps(log):
    return [r[2] for r in log.records() if r[1] == replog.REP]


@pytest.mark.parametrize("seed", [1, 4])
def test_app_logs_the_reps_replay_counts(tmp_path, seed):
    trace, _ = make_session(seed, "mixed", rate_hz=50)
    app, log, clock = wear(trace, tmp_path)
    replayed = replay_trace(trace)["reps"]
    got = logged_reps(log)
    assert len(replayed) > 10
    assert len(got) == len(replayed)
    for (t_ms, ex, rom, dur), r in zip(got, replayed):
        assert abs(t_ms - r["t_ms"]) <= 1500  # same rep (its top may move within a hold)
        assert counter.EXERCISE_NAMES[ex] == r["exercise"]
        assert abs(rom / 100 - r["rom_deg"]) < 1.0
    sets = [r[2] for r in log.records() if r[1] == replog.SET]
    assert sum(s[2] for s in sets) == len(got)
    buzzes = sum(1 for e in fake_machine.events if e == ("buzz", 1))
    assert buzzes >= len(got) + len(sets)  # a buzz per rep, two per set end
    assert app.wdt.feeds > 100


def test_app_on_a_real_recording(tmp_path, shared_traces):
    trace = traceio.read_trace(shared_traces / "uci-pt" / "s2-e4-u3-template_session.csv")
    app, log, _ = wear(trace, tmp_path)
    assert len(logged_reps(log)) == len(replay_trace(trace)["reps"]) == 9


def test_mode_button_and_goal(tmp_path):
    trace, labels = make_session(2, "leg_lift", rate_hz=50)
    target = sum(s.reps for s in labels.sets if s.is_target)
    pressed = []

    def press_once(app):
        if not pressed and app.clock.ms > 500:
            pressed.append(1)
            fake_machine.Pin.press(37)
        return app.clock.ms > trace.t_ms[-1] + 20_000

    app, log, _ = wear(trace, tmp_path, cfg={"goal": target // 2}, until=press_once)
    assert app.mode == "clamshell"  # auto -> clamshell
    assert "mode" in app.fb.played and "goal" in app.fb.played
    assert {r[1] for r in logged_reps(log)} == {counter.CLAMSHELL}  # the fixed exercise


def test_idle_band_goes_to_deep_sleep_with_the_log_closed(tmp_path):
    trace, _ = make_session(3, "distractors", rate_hz=50)
    with pytest.raises(fake_machine.SleepEnded):
        wear(trace, tmp_path, extra_ms=app_mod.IDLE_SLEEP_MS + 60_000)
    assert ("deepsleep", 0) in fake_machine.events
    assert replog.Log(str(tmp_path / "log")).records()  # what was logged is on flash


def test_no_heap_allocation_per_sample_in_the_app_loop_on_micropython():
    """The steady-state loop (FIFO burst -> conversion -> counter) allocates nothing per sample.
    The bus here replays FIFO bytes made by the register model beforehand, so that only the
    firmware's own allocations are measured."""
    from host_tools import REPO_ROOT
    from host_tools.mpy_runtime import run_micropython

    fakes = REPO_ROOT / "host_tools" / "fakes"
    files = {n: (fakes / n).read_bytes() for n in ("imu_models.py", "vclock.py")}
    script = """
import gc, math, mpu6886, counter
from imu_models import MPU6886Model, SampleSource, FakeI2C
from vclock import VirtualClock
clock = VirtualClock(0)
N = 4000
t = [20 * i for i in range(N)]
ax = [int(400 * (1 - math.cos(2 * math.pi * i / 200)) / 2) for i in range(N)]
model = MPU6886Model(clock, SampleSource(t, [ax, [0] * N, [980] * N, [0] * N, [0] * N, [0] * N]))
imu = mpu6886.MPU6886(FakeI2C({0x68: model}), 0x68, 'mpu6886', rate_hz=50, batch=25,
                      sleep_ms=clock.sleep_ms)
frames = bytearray()
for _ in range(N // 25 - 2):
    clock.ms += 500
    frames.extend(model.read(0x74, 25 * 14))

class Replay:  # FIFO bytes recorded above; reads copy into the driver's buffer
    def __init__(self, data):
        self.mv = memoryview(data)
        self.i = 0
    def readfrom_mem_into(self, addr, reg, buf):
        if reg == 0x74:
            n = len(buf)
            buf[:] = self.mv[self.i:self.i + n]
            self.i += n
        elif reg == 0x72:
            buf[0] = (25 * 14) >> 8
            buf[1] = (25 * 14) & 0xFF
        else:
            buf[0] = 0
    def writeto_mem(self, addr, reg, data):
        pass

imu.i2c = Replay(frames)
c = counter.Counter(50, True)
def batch_loop(k, s):
    reps = 0
    for _ in range(k):
        n, lost = imu.read_batch()
        b = imu.batch
        for i in range(n):
            j = 6 * i
            if c.feed(s * 20, b[j], b[j + 1], b[j + 2], b[j + 3], b[j + 4], b[j + 5]) == 1:
                reps += 1
            s += 1
    return reps, s
r, s = batch_loop(20, 0)
gc.collect()
gc.disable()
a0 = gc.mem_alloc()
reps, s2 = batch_loop(130, s)
a1 = gc.mem_alloc()
gc.enable()
print(reps, s2 - s, a1 - a0)
"""
    reps, samples, alloc = map(int, run_micropython(script, files).split())
    assert reps > 5 and samples == 130 * 25
    assert alloc <= 130 * 64, alloc  # a few small objects per batch (slices, the result tuple), none per sample
