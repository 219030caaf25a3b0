"""`repband bench --power`: the duty cycle and the battery table follow from their inputs (no
number in them is typed in), and every input says where it comes from."""

from dataclasses import replace

import pytest

from host_tools import power

FIG = {"period_ms": 640, "samples_per_batch": 32, "quiet_batch_us_here": 400.0,
       "reference_iteration_us_here": 0.5, "i2c_bytes_per_batch": 460.0,
       "event_extra_us_here": 500.0, "spi_bytes_per_event": 12000.0}


def with_value(inputs, key, value):
    out = dict(inputs)
    out[key] = replace(inputs[key], value=value)
    return out


def test_every_input_names_its_source():
    for key, i in power.power_inputs().items():
        assert i.source, key
    sources = [i.source for i in power.power_inputs().values()]
    assert any(s.startswith("datasheet: ") for s in sources)
    assert any(s.startswith("assumption: ") for s in sources)


def test_duty_cycle_is_cpu_plus_i2c_plus_wake_over_the_period():
    inp = power.power_inputs()
    d = power.duty_cycle(FIG, inp)
    ref_us = inp["ref_iteration_us_240mhz"].value * 240 / inp["cpu_mhz"].value
    cpu = 400.0 / 0.5 * ref_us / 1000
    i2c = 460 * 9 / 400000 * 1000
    assert d["cpu_ms"] == pytest.approx(cpu) and d["i2c_ms"] == pytest.approx(i2c)
    assert d["duty"] == pytest.approx((cpu + i2c + inp["wake_ms"].value) / 640)
    faster = power.duty_cycle(FIG, with_value(inp, "cpu_mhz", 240.0))
    assert faster["cpu_ms"] == pytest.approx(cpu / 3)  # the CPU part scales with the clock


def test_battery_table_is_the_time_weighted_currents():
    inp = power.power_inputs()
    duty = power.duty_cycle(FIG, inp)
    rows = power.battery_table(duty, inp)
    usable = inp["battery_mah"].value * inp["usable_fraction"].value
    for sc, row in zip(power.scenarios(inp), rows):
        st = list(power.state_currents(duty, inp, sc.light_sleep).values())
        idle, exercising, deep = st
        want = (sc.exercise_h * exercising + (sc.counting_h - sc.exercise_h) * idle
                + (24 - sc.counting_h) * deep) / 24
        assert row["avg_ma"] == pytest.approx(want)
        assert row["hours"] == pytest.approx(usable / want)
    assert rows[-1]["scenario"].startswith("standby")


def test_changing_an_input_changes_the_table():
    inp = power.power_inputs()
    duty = power.duty_cycle(FIG, inp)
    base = power.battery_table(duty, inp)
    bigger = power.battery_table(duty, with_value(inp, "battery_mah", 400.0))
    assert [b["hours"] for b in bigger] == pytest.approx([2 * r["hours"] for r in base])
    imu = power.battery_table(duty, with_value(inp, "imu_6axis_ma", inp["imu_6axis_ma"].value + 1))
    scs = power.scenarios(inp)
    for sc, r, r2 in zip(scs, base, imu):
        assert r2["avg_ma"] - r["avg_ma"] == pytest.approx(sc.counting_h / 24)  # 1 mA while counting
    light = power.state_currents(duty, inp, True)
    idle = power.state_currents(duty, inp, False)
    gap = inp["esp32_idle_80mhz_ma"].value - inp["esp32_light_sleep_ma"].value
    key = "counting, no exercise (LCD asleep)"
    assert idle[key] - light[key] == pytest.approx((1 - duty["duty"]) * gap)


def test_the_report_prints_the_table_it_computed():
    inp = power.power_inputs()
    fig = dict(FIG, trace="t", board="m5stickc_plus2", batches=10, reps=3, sets=1,
               quiet_batch_alloc_bytes=[64, 64], event_batch_alloc_max_bytes=600)
    duty = power.duty_cycle(fig, inp)
    text = power.format_report(fig, duty, inp)
    for row in power.battery_table(duty, inp):
        assert f"| {row['scenario']} | {row['between_batches']} | {row['avg_ma']:.2f} mA |" in text
    assert f"{100 * duty['duty']:.1f} %" in text
