# The names the band and the laptop share: exercise modes and what a rep's exercise is called.
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
