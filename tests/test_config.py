"""repband config: values checked on the host with one-line errors; get/set on the virtual band."""

from __future__ import annotations

import pytest

from host_tools import RepbandError, config


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("goal=120", "goal", 120),
        (" goal = 1 ", "goal", 1),
        ("mode=clamshell", "mode", "clamshell"),
        ("MODE=Leg-Lift", "mode", "leg_lift"),
        ("feedback=off", "feedback", False),
        ("feedback=ON", "feedback", True),
    ],
)
def test_valid_assignments(text: str, key: str, value: object) -> None:
    assert config.parse_assignment(text) == (key, value)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("goal", "expected KEY=VALUE"),
        ("colour=red", "unknown setting 'colour': the settings are goal, mode, feedback"),
        ("goal=lots", "must be a whole number"),
        ("goal=0", "between 1 and 1000"),
        ("goal=5000", "between 1 and 1000"),
        ("mode=squats", "one of auto, clamshell, leg_lift"),
        ("feedback=maybe", "on or off"),
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
