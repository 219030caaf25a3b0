# The band's firmware as a MicroPython package manifest, as micropython-lib has one a package:
# what to freeze into a MicroPython image (FROZEN_MANIFEST) or to publish for mip. Every module
# here goes onto the band; tests/test_firmware_static.py checks that this lists exactly the .py
# files in firmware/. The version is service.VERSION's alone, so it is not repeated here.
#
# Board files (boards/NAME.json) are data, not modules, so no module() line can carry them: the
# band reads the one in /boards on its file system, which `repband flash --board NAME` writes
# (with /config.json naming it); a frozen image still needs that file copied on, e.g.
# `mpremote cp boards/NAME.json :boards/`.
# ruff: noqa: F821 - metadata() and module() are the manifest tool's, defined where it runs this
metadata(description="repband: the thigh band's rep counter, IMU drivers, log and app")

# run by name at power-on (flash keeps them as source)
module("boot.py")
module("main.py")

# pure: no machine, the host imports them too
module("names.py")
module("counter.py")
module("replog.py")
module("mount.py")
module("settings.py")
module("board.py")

# the parts: IMU drivers on one base class (imu.py holds the table from part to driver)
module("imu.py")
module("mpu6886.py")
module("lsm6ds.py")
module("display.py")
module("feedback.py")
module("battery.py")

# the app, recordings, and what the host runs over the REPL
module("app.py")
module("recorder.py")
module("service.py")
