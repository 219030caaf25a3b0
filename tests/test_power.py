"""`repband bench --power`: the duty cycle and the scenarios follow from their inputs (no number
in them is typed in), every input says where it comes from, and the ESP32's speed is a range
from a published anchor."""

import json
from dataclasses import replace

import pytest

from host_tools import firmware
from host_tools.sim import power

FIG = {"period_ms": 1280, "samples_per_batch": 64, "quiet_batch_in_reference_loops": 800.0,
       "i2c_bytes_per_batch": 524.0, "event_extra_in_reference_loops": 100.0,
       "spi_bytes_per_event": 1600.0, "set_ms_per_rep": 4000.0}
app = firmware.load("app")


def with_value(inputs, key, value):
    out = dict(inputs)
    out[key] = replace(inputs[key], value=value)
    return out


def test_every_input_names_its_source():
    inputs = power.power_inputs(fig=dict(FIG, trace="t"))
    kinds = ("datasheet: ", "assumption: ", "published: ", "measured: ", "firmware: ", "the board")
    for key, i in inputs.items():
        assert i.source.startswith(kinds), (key, i.source)
    assert inputs["set_s_per_rep"].source.startswith("measured: ")


def test_the_esp32_speed_range_comes_from_the_pystone_anchor():
    inp = power.power_inputs()
    slow, fast = inp["ref_iteration_us_240mhz_slow"], inp["ref_iteration_us_240mhz_fast"]
    # 1000-1660 pystones/s, 12.5 loop iterations a pystone: 80 and 48 us an iteration
    assert slow.value == pytest.approx(80.0) and fast.value == pytest.approx(48.19, abs=0.01)
    assert "pystone" in slow.source and slow.source.startswith("published: ")


def test_duty_cycle_is_cpu_plus_i2c_plus_wake_over_the_period():
    inp = power.power_inputs()
    for speed in power.SPEEDS:
        d = power.duty_cycle(FIG, inp, speed)
        ref_us = inp[f"ref_iteration_us_240mhz_{speed}"].value * 240 / inp["cpu_mhz"].value
        cpu = 800.0 * ref_us / 1000
        i2c = 524 * 9 / 400000 * 1000
        assert d["cpu_ms"] == pytest.approx(cpu) and d["i2c_ms"] == pytest.approx(i2c)
        assert d["duty"] == pytest.approx((cpu + i2c + inp["wake_ms"].value) / 1280)
    faster = power.duty_cycle(FIG, with_value(inp, "cpu_mhz", 240.0))
    assert faster["cpu_ms"] == pytest.approx(power.duty_cycle(FIG, inp)["cpu_ms"] / 3)


def test_scenarios_are_the_time_weighted_currents_as_ranges():
    inp = power.power_inputs()
    rows = power.scenario_rows(FIG, inp)
    usable = inp["battery_mah"].value * inp["usable_fraction"].value
    names = [r["name"] for r in rows]
    assert names[0] == "daily" and rows[0]["default_settings"] and "standby" in names
    for sc, row in zip(power.scenarios(inp), rows):
        mah = {s: power.day_mah(power.duty_cycle(FIG, inp, s), inp, sc) for s in power.SPEEDS}
        assert row["average_ma"] == pytest.approx([mah["fast"] / 24, mah["slow"] / 24], abs=1e-3)
        assert row["battery_days"] == pytest.approx(
            [usable / mah["slow"], usable / mah["fast"]], abs=0.06)
        assert row["battery_days"][0] <= row["battery_days"][1]
    daily = power.scenarios(inp)[0]
    v = {k: i.value for k, i in inp.items()}
    st = list(power.state_currents(power.duty_cycle(FIG, inp), inp, daily).values())
    idle, exercising, listening, deep = st
    listen_h = daily.starts_per_day * v["host_listen_ms"] / 3.6e6
    want = (daily.exercise_h * exercising + (daily.counting_h - daily.exercise_h) * idle
            + listen_h * (listening - idle) + (24 - daily.counting_h) * deep)
    assert power.day_mah(power.duty_cycle(FIG, inp), inp, daily) == pytest.approx(want)


def test_changing_an_input_changes_the_figures():
    inp = power.power_inputs()
    base = power.scenario_rows(FIG, inp)
    bigger = power.scenario_rows(FIG, with_value(inp, "battery_mah", 400.0))
    for b, r in zip(bigger, base):
        assert b["battery_days"] == pytest.approx([2 * d for d in r["battery_days"]], abs=0.11)
    imu = power.scenario_rows(FIG, with_value(inp, "imu_accel_ma", inp["imu_accel_ma"].value + 1))
    for sc, r, r2 in zip(power.scenarios(inp), base, imu):
        if not sc.gyro:  # 1 mA more while counting
            assert r2["average_ma"][0] - r["average_ma"][0] == pytest.approx(
                sc.counting_h / 24, abs=2e-3)
    rows = {r["name"]: r for r in base}
    # the defaults this issue changed each cost battery when undone
    for undone in ("daily, gyro on", "daily, awake between batches",
                   "daily, screen lit at every rep"):
        assert rows[undone]["battery_days"][1] < rows["daily"]["battery_days"][1]


def test_the_report_prints_the_table_it_computed():
    inp = power.power_inputs()
    fig = dict(FIG, trace="t", board="m5stickc_plus2", batches=10, reps=3, sets=1, gyro=False,
               fifo_frame_bytes=8, quiet_batch_alloc_bytes=[0, 0], event_batch_alloc_max_bytes=600)
    text = power.format_report(fig, inp)
    for row in power.scenario_rows(fig, inp):
        assert f"{row['average_ma'][0]:.2f}-{row['average_ma'][1]:.2f} mA" in text
    slow = power.duty_cycle(fig, inp, "slow")
    assert f"{100 * slow['duty']:.1f} %" in text


def test_bench_power_json_prints_the_scenarios(monkeypatch, capsys):
    """`repband bench --power --json`: scenarios with name, settings, default_settings,
    average_ma and battery_days (ranges, low to high), the measurement and every input."""
    from host_tools import cli
    from host_tools.sim import bench

    fig = dict(FIG, trace="t", board="m5stickc_plus2", batches=10, reps=3, sets=1, gyro=False,
               fifo_frame_bytes=8, quiet_batch_alloc_bytes=[0, 0], event_batch_alloc_max_bytes=600)
    monkeypatch.setattr(power, "app_loop_figures", lambda **kw: dict(fig, **kw))
    assert cli.main(["bench", "--power", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert bench  # the command's module
    daily = out["scenarios"][0]
    assert daily["name"] == "daily" and daily["default_settings"] is True
    assert set(daily) >= {"name", "settings", "default_settings", "average_ma", "battery_days"}
    assert daily["battery_days"][0] <= daily["battery_days"][1]
    assert all(i["source"] for i in out["inputs"].values())
