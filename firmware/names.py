# The names the band and the laptop share: exercise modes, what a rep's exercise is called, and
# the epoch the band's day numbers count from.
# One module both sides import (the host through host_tools.firmware.load("names")), so a
# mode or an exercise is spelt in one place.
try:
    from micropython import const  # type: ignore
except ImportError:  # CPython
    def const(x):
        return x

AUTO = const(0)
CLAMSHELL = const(1)
LEG_LIFT = const(2)
# settings.mode, in the order the mode button cycles them (index = the counter's mode number)
MODE_NAMES = ("auto", "clamshell", "leg_lift")
# a rep's exercise by number; "unknown" when the axes are unknown and nobody fixed the exercise
EXERCISE_NAMES = ("unknown", "clamshell", "leg_lift")
# the exercises the band counts (labels' target exercises, corrections, the mode's choices)
EXERCISES = ("clamshell", "leg_lift")
# 2000-01-01 00:00 UTC in Unix seconds: ESP32 MicroPython's time epoch, and day 0 of the day
# numbers in DAILY records (the host turns them into dates from it)
UNIX_2000 = const(946684800)
DAYS_1970_2000 = const(10957)  # UNIX_2000 in days
