"""Stand-ins for the band's hardware, written from datasheets; MicroPython-compatible so the
virtual band can run them inside the MicroPython runtime, and the driver tests on CPython."""
