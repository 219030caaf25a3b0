"""The band without a band: the MicroPython runtime under Node, the driving loop (mp/), the fakes
of its hardware, the virtual band, the benchmarks, the power model and the demo."""
