"""repband config: values checked on the host with one-line errors; get/set on the virtual band."""

from __future__ import annotations

import re

import pytest

from host_tools.band import config
from host_tools.errors import RepbandError


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("goal=120", "goal", 120),
        (" goal = 1 ", "goal", 1),
        ("mode=clamshell", "mode", "clamshell"),
        ("MODE=Leg-Lift", "mode", "leg_lift"),
        ("feedback=off", "feedback", False),
        ("feedback=ON", "feedback", True),
        ("side=Right", "side", "right"),
        ("feedback=counts", "feedback", "counts"),
        ("goal=auto", "goal", None),
        ("reps=15", "reps", 15),
        ("hold_s=0", "hold_s", 0),
        ("tempo_s=3", "tempo_s", 3),
        ("min_rom_deg=30", "min_rom_deg", 30),
    ],
)
def test_valid_assignments(text: str, key: str, value: object) -> None:
    assert config.parse_assignment(text) == (key, value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("goal", "expected KEY=VALUE"),
        ("colour=red", "unknown setting 'colour': the settings are goal, mode, feedback, side"),
        ("goal=lots", "must be a whole number"),
        ("goal=0", "between 1 and 1000"),
        ("goal=5000", "between 1 and 1000"),
        ("mode=squats", "one of auto, clamshell, leg_lift"),
        ("feedback=maybe", "on, off or counts"),
        ("side=middle", "one of left, right, unknown"),
        ("sets=0", "between 1 and 20"),
        ("tempo_s=fast", "must be a whole number"),
        ("min_rom_deg=120", "between 0 and 90"),
    ],
)
def test_invalid_assignments_are_one_clear_line(text: str, needle: str) -> None:
    with pytest.raises(RepbandError) as err:
        config.parse_assignment(text)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_cli_rejects_bad_values_before_touching_a_port(capsys: pytest.CaptureFixture[str]) -> None:
    from host_tools import cli

    code = cli.main(["config", "--port", "/dev/ttyNOPE9", "set", "goal=-3"])
    err = capsys.readouterr().err
    assert code == 1 and "goal=-3" in err and "ttyNOPE9" not in err and err.count("\n") == 1


# ---------------------------------------------------------------- end to end, virtual band

BOARD = "m5stickc_plus2"


def still_trace(path):
    rows = [
        "# format: repband-trace/1",
        "# sample_rate_hz: 50",
        "# placement: thigh_right_lateral",
        "# axes: band",
        "# source: test_config",
        "t_ms,ax,ay,az",
    ]
    rows += [f"{i * 20},0.0,0.0,1.0" for i in range(500)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_get_and_set_on_the_virtual_band(tmp_path, capsys) -> None:
    from host_tools import cli
    from host_tools.band import flash
    from host_tools.sim import virtual_band as vb_mod

    trace = still_trace(tmp_path / "still.csv")
    flash_dir = tmp_path / "flash"
    with vb_mod.VirtualBand(board=BOARD, trace=trace, flash_dir=flash_dir, speed=1) as vb:
        flash.flash(BOARD, vb.pty_path, show=False)
        assert cli.main(["config", "--port", vb.pty_path]) == 0
        before = capsys.readouterr().out
        assert re.search(r"^goal\s+\d+", before, re.MULTILINE), before
        code = cli.main(
            ["config", "--port", vb.pty_path, "set", "goal=123", "mode=clamshell", "feedback=off",
             "side=left"]
        )
        assert code == 0, capsys.readouterr().err
        capsys.readouterr()
    # The band kept them in its flash: a new session (band restarted) reads them back.
    with vb_mod.VirtualBand(board=BOARD, trace=trace, flash_dir=flash_dir, speed=1) as vb:
        assert cli.main(["config", "--port", vb.pty_path, "get"]) == 0
        after = capsys.readouterr().out
        assert cli.main(["config", "--port", vb.pty_path, "get", "goal"]) == 0
        assert capsys.readouterr().out == "123\n"  # one key: its value alone
    assert re.search(r"^goal\s+123\b", after, re.MULTILINE), after
    assert re.search(r"^mode\s+clamshell\b", after, re.MULTILINE), after
    assert re.search(r"^feedback\s+off\b", after, re.MULTILINE), after
    assert re.search(r"^side\s+left\b", after, re.MULTILINE), after


def test_the_laptops_own_settings_need_no_band_and_get_takes_a_key(tmp_path, capsys) -> None:
    from host_tools import cli

    db = str(tmp_path / "r.db")
    assert cli.main(["config", "set", "patient=Ada Lovelace", "prescription=3 x 15", "--db", db,
                     "--port", "/dev/nonexistent"]) == 0
    assert "the laptop: saved patient=Ada Lovelace, prescription=3 x 15" in capsys.readouterr().out
    assert cli.main(["config", "get", "patient", "--db", db, "--port", "/dev/nonexistent"]) == 0
    assert capsys.readouterr().out == "Ada Lovelace\n"
    assert cli.main(["config", "get", "patiant", "--db", db]) != 0
    assert "did you mean patient?" in capsys.readouterr().err


def test_the_prescription_gives_the_goal_and_the_counters_tempo(tmp_path) -> None:
    """Band side (firmware/settings.py): 3 x 10 with a 2 s hold by default, the goal reps x sets
    unless set (goal=auto derives it again), and the counter's Params from it."""
    from host_tools import firmware

    settings, counter = firmware.load("settings"), firmware.load("counter")
    path = str(tmp_path / "config.json")
    cfg = settings.load(path)
    assert (cfg["reps"], cfg["sets"], cfg["hold_s"], cfg["goal"]) == (10, 3, 2, 30)
    assert settings.update({"reps": 15}, path)["goal"] == 45
    assert settings.update({"goal": 100}, path)["goal"] == 100
    assert settings.update({"sets": 2}, path)["goal"] == 100  # a goal set stays
    assert settings.update({"goal": None}, path)["goal"] == 30
    cfg = settings.update({"tempo_s": 3, "hold_s": 0, "min_rom_deg": 25, "side": "left"}, path)
    p = settings.prescribe(counter.Params(), cfg)
    assert (p.rx_up_ms, p.rx_down_ms, p.rx_hold_ms, p.rx_rom_cdeg, p.forward_y) == (
        3000, 3000, 0, 2500, 1)
    with pytest.raises(ValueError):
        settings.update({"feedback": "loud"}, path)
