"""The band's app over a whole recording, on the fakes: the reps it logs are the reps replay
counts; feedback, mode button, watchdog, safe mode, idle sleep, the day's counts (new at local
midnight, kept over reboots) behave; its loop allocates nothing per sample on MicroPython."""

import calendar
import sys

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


def wear(trace, tmp_path, board="m5stickc_plus2", cfg=None, extra_ms=20_000, until=None,
         epoch_s=0, log_dir="log"):
    """Run the app on a band wearing `trace` until the trace is over (+ extra_ms). epoch_s: the
    RTC (Unix seconds at virtual time 0); 0 = never set by a host."""
    b = board_mod.load(board, str(BOARDS_DIR))
    clock = VirtualClock(0)
    clock.epoch_s = epoch_s
    t, *cols = (c.tolist() for c in traceio.counter_ints(trace))
    model = MPU6886Model(clock, SampleSource(t, cols), b.imu["part"], to_band=b.imu["to_band"])
    fake_machine.bus = FakeI2C({b.imu["address"]: model})
    fake_machine.clock = clock
    fake_machine.events.clear()
    imu = mpu.MPU6886(fake_machine.bus, b.imu["address"], b.imu["part"],
                      rate_hz=round(trace.sample_rate_hz), to_band=b.to_band, sleep_ms=clock.sleep_ms)
    log = replog.Log(str(tmp_path / log_dir))
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
    assert app.side == "unknown"
    assert app.mode == "clamshell"  # auto -> clamshell
    assert app.fb.played["mode"] == 1 and app.fb.played["goal"] == 1
    assert {r[1] for r in logged_reps(log)} == {counter.CLAMSHELL}  # the fixed exercise
    # the settings each rep was counted with: at start (auto, side unknown, the goal), then
    # from the press on, clamshell (the set open at the press, if any, ended in auto)
    modes = [d[5] for d in daily(log)]
    assert modes[0] == 0 and modes[-1] == 1 and set(modes) == {0, 1}
    assert {d[3] for d in daily(log)} == {target // 2} and {d[4] for d in daily(log)} == {0}


def test_idle_band_goes_to_deep_sleep_with_the_log_closed(tmp_path):
    trace, _ = make_session(3, "distractors", rate_hz=50)
    with pytest.raises(fake_machine.SleepEnded):
        wear(trace, tmp_path, extra_ms=app_mod.IDLE_SLEEP_MS + 60_000)
    assert ("deepsleep", 0) in fake_machine.events
    assert replog.Log(str(tmp_path / "log")).records()  # what was logged is on flash


def test_no_heap_allocation_per_sample_in_the_app_loop_on_micropython():
    """App.step as the band runs it (FIFO burst through the MPU6886 driver, the counter, feedback,
    the LCD, the watchdog), measured batch by batch with gc.mem_alloc() on MicroPython. The FIFO
    bytes are recorded beforehand so only the firmware runs. A batch without an event allocates
    the same few bytes whatever its size (the driver's result tuple and FIFO slice), so nothing
    per sample; events (log records, LCD text) allocate a little."""
    from host_tools.bench import _sine_trace
    from host_tools.power import app_loop_figures

    big = app_loop_figures(_sine_trace(), batch=64)
    small = app_loop_figures(_sine_trace(), batch=32)
    assert big["reps"] >= 10 and big["samples_per_batch"] == 32 and small["samples_per_batch"] == 16
    assert big["quiet_batches"] > 100 and big["event_batches"] >= 10
    lo, hi = big["quiet_batch_alloc_bytes"]
    assert lo == hi == small["quiet_batch_alloc_bytes"][0] == small["quiet_batch_alloc_bytes"][1]
    assert hi <= 64, big  # per batch, not per sample: 16 or 32 samples allocate the same
    assert big["event_batch_alloc_max_bytes"] < 2048, big


# -- feedback, watchdog, safe mode, deep sleep ---------------------------------------------------

def test_feedback_counts_patterns_without_growing(tmp_path):
    trace, _ = make_session(1, "mixed", rate_hz=50)
    app, log, _ = wear(trace, tmp_path, cfg={"goal": 5})
    played = app.fb.played
    assert set(played) == {"rep", "set", "goal", "mode"}  # one counter a pattern, not a list
    assert played["rep"] + played["goal"] == app.reps and played["set"] == app.sets
    assert played["goal"] == 2  # leg lifts and clamshells each reach 5 once


def test_watchdog_is_fed_once_a_batch_and_a_hung_batch_starves_it(tmp_path):
    trace, _ = make_session(3, "distractors", rate_hz=50)
    app, _, clock = wear(trace, tmp_path, extra_ms=0, until=lambda a: a.clock.ms > 60_000)
    assert app.wdt.timeout == app_mod.WDT_MS > 4 * app.period_ms
    assert app.wdt.feeds >= 60_000 // app.period_ms - 1 and app.wdt.starved == 0  # every batch
    # a batch that hangs (here: an I2C read stuck for longer than the timeout) feeds nothing
    # meanwhile: on the band the hardware watchdog resets it
    app.imu.read_batch = lambda: (clock.sleep_ms(app_mod.WDT_MS + 1000), (0, 0))[1]
    app.step()
    assert app.wdt.starved == 1


def test_safe_mode_leaves_the_repl_free(tmp_path, monkeypatch, capsys):
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "m5stickc_plus2.json").write_bytes(
        (BOARDS_DIR / "m5stickc_plus2.json").read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "machine", fake_machine)
    fake_machine.events.clear()
    monkeypatch.setitem(fake_machine.Pin._levels, 37, 0)  # the mode button held at power-on
    assert app_mod.main() is None
    assert "safe mode" in capsys.readouterr().out
    assert ("pin", (4, 1)) in fake_machine.events  # the Plus2 still holds its power on
    assert not [e for e in fake_machine.events if e[0] in ("wdt", "spi_init", "freq")]
    assert not (tmp_path / "log").exists()


def test_idle_sleep_arms_the_button_wake_and_keeps_the_plus2_powered(tmp_path, monkeypatch):
    from host_tools.fakes import esp32 as fake_esp32

    monkeypatch.setitem(sys.modules, "esp32", fake_esp32)
    trace, _ = make_session(3, "distractors", rate_hz=50)
    with pytest.raises(fake_machine.SleepEnded):
        wear(trace, tmp_path, extra_ms=app_mod.IDLE_SLEEP_MS + 60_000)
    ev = fake_machine.events
    assert ("wake_ext0", (37, fake_esp32.WAKEUP_ALL_LOW)) in ev
    assert ("hold", (4, True)) in ev and ("deep_sleep_hold", True) in ev
    for pin, off in ((27, 0), (2, 0), (19, 1)):  # backlight, buzzer, LED (active low): off
        assert ev[ev.index(("hold", (pin, True))) - 1] == ("pin", (pin, off))
    assert ev.index(("deep_sleep_hold", True)) < ev.index(("deepsleep", 0))


# -- the day ---------------------------------------------------------------------------------------

DAY_S = 86400


def day_no(y, m, d):
    return (calendar.timegm((y, m, d, 0, 0, 0)) - calendar.timegm((2000, 1, 1, 0, 0, 0))) // DAY_S


def daily(log):
    return [r[2] for r in log.records() if r[1] == replog.DAILY]


def test_without_a_clock_the_day_is_unknown(tmp_path):
    trace, _ = make_session(1, "mixed", rate_hz=50)
    app, log, _ = wear(trace, tmp_path)
    assert app.day_no is None and {d[0] for d in daily(log)} == {0}
    assert not [r for r in log.records() if r[1] == replog.CLOCK]


def test_the_day_starts_anew_at_local_midnight(tmp_path):
    trace, _ = make_session(1, "mixed", rate_hz=50)  # a leg-lift set, then a clamshell set
    sets = replay_trace(trace)["sets"]
    assert sets[0]["end_ms"] + 20_000 < 120_000 < sets[1]["start_ms"]
    # local time UTC+1; local midnight (2026-03-10 00:00) falls at virtual 120 s, between sets
    midnight = calendar.timegm((2026, 3, 10, 0, 0, 0)) - 3600
    app, log, _ = wear(trace, tmp_path, cfg={"goal": 11, "utc_offset_min": 60},
                       epoch_s=midnight - 120)
    first, second = day_no(2026, 3, 9), day_no(2026, 3, 10)
    assert app.day_no == second
    assert app.day == [0, sets[1]["reps"], 0]  # today: the clamshells only
    got = daily(log)
    # at start, the settings the boot counts with; then the day's counts after each set
    assert got[0] == (first, 0, 0, 11, 0, 0)
    assert got[1] == (first, 0, sets[0]["reps"], 11, 0, 0)
    assert got[-1] == (second, sets[1]["reps"], 0, 11, 0, 0)
    assert app.fb.played["goal"] == 2  # one goal per exercise per day
    clocks = [r[2] for r in log.records() if r[1] == replog.CLOCK]
    assert clocks and clocks[0][0] == midnight - 120  # logged at start, so the host can place it


def test_todays_counts_survive_a_reboot_but_not_the_night(tmp_path):
    trace, _ = make_session(2, "leg_lift", rate_hz=50)
    noon = calendar.timegm((2026, 3, 10, 12, 0, 0))
    app, log, _ = wear(trace, tmp_path, epoch_s=noon)
    assert app.day[2] > 0
    # a set cut short (a watchdog reset, a flat battery) left reps after the last DAILY
    log2 = replog.Log(str(tmp_path / "log"))
    log2.boot(fake_machine.WDT_RESET)
    log2.rep(5000, counter.LEG_LIFT, 2000, 2500)
    log2.rep(8000, counter.LEG_LIFT, 2000, 2500)
    log2.close()
    later = noon + 3600
    assert app_mod.restore_counts(replog.Log(str(tmp_path / "log")),
                                  app_mod.local_day(later, 0)[0]) == [0, 0, app.day[2] + 2]
    still, _ = make_session(3, "distractors", rate_hz=50)
    again, _, _ = wear(still, tmp_path, epoch_s=later, extra_ms=0,
                       until=lambda a: a.clock.ms > 1000)
    assert again.day == [0, 0, app.day[2] + 2]  # this morning's count, from the log
    tomorrow, _, _ = wear(still, tmp_path, epoch_s=noon + DAY_S, extra_ms=0,
                          until=lambda a: a.clock.ms > 1000)
    assert tomorrow.day == [0, 0, 0] and tomorrow.day_no == app.day_no + 1


def test_light_sleep_between_batches_counts_the_same(tmp_path):
    trace, _ = make_session(4, "mixed", rate_hz=50)
    plain, log, _ = wear(trace, tmp_path, log_dir="a")
    fake_machine.events.clear()
    light, log2, _ = wear(trace, tmp_path, cfg={"light_sleep": True}, log_dir="b")
    naps = [e for e in fake_machine.events if e[0] == "lightsleep"]
    assert len(naps) > 100 and {ms for _, ms in naps} == {light.period_ms}
    assert logged_reps(log2) == logged_reps(log) and light.reps == plain.reps > 10


def test_with_light_sleep_a_press_ends_the_nap_and_is_polled(tmp_path, monkeypatch):
    from host_tools.fakes import esp32 as fake_esp32

    monkeypatch.setitem(sys.modules, "esp32", fake_esp32)
    trace, _ = make_session(3, "distractors", rate_hz=50)
    held = []

    def hold_the_button(app):  # pressed and held across batches, as during light sleep: no IRQ
        if not held and app.clock.ms > 5_000:
            held.append(1)
            fake_machine.Pin._levels[37] = 0
        elif held and app.clock.ms > 8_000:
            fake_machine.Pin._levels[37] = 1
        return app.clock.ms > 12_000

    app, _, _ = wear(trace, tmp_path, cfg={"light_sleep": True}, until=hold_the_button)
    assert ("wake_ext0", (37, fake_esp32.WAKEUP_ALL_LOW)) in fake_machine.events
    assert app.mode == "clamshell" and app.fb.played["mode"] == 1  # one press, one change
