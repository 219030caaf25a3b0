# The battery's voltage, where the board can read it: the cell through a resistor divider to an
# ADC pin, named in the board file as "battery_adc": {"pin": N, "divider": k} (k = cell voltage
# / pin voltage). The M5StickC Plus2 has one (GPIO38, ADC1, k = 2: M5Unified's Power_Class and
# ESPHome's board page); the AtomS3, the DevKitC and the QT Py ESP32-S3 have none. Read when a
# host asks (repband status), never per sample; a read is a few conversions summed in a small
# int (8 x 2.1 V in uV stays far below 2**30), so it allocates nothing.
try:
    from micropython import const  # type: ignore
except ImportError:  # CPython
    def const(x):
        return x

_READS = const(8)  # averaged: one ESP32 conversion wanders by tens of mV
# a LiPo's charge from its resting voltage, roughly linear between these (as M5Unified reads
# the Plus2); a guide, not a fuel gauge
EMPTY_MV = 3300
FULL_MV = 4150


class Battery:
    def __init__(self, adc_cfg, machine):
        self.divider = int(adc_cfg.get("divider", 2))
        # 11 dB: the pin's range reaches ~2.5 V, enough for a full cell halved (2.1 V)
        self.adc = machine.ADC(machine.Pin(adc_cfg["pin"]), atten=machine.ADC.ATTN_11DB)

    def mv(self):
        """The cell's voltage (mV), from calibrated readings of the pin (read_uv)."""
        adc = self.adc
        s = 0
        for _ in range(_READS):
            s += adc.read_uv()  # (a bound method kept in a local would be allocated)
        return s // _READS * self.divider // 1000


def percent(mv):
    """About how full (0-100) a cell at `mv` is."""
    p = (mv - EMPTY_MV) * 100 // (FULL_MV - EMPTY_MV)
    return 0 if p < 0 else 100 if p > 100 else p


def open(board_data, machine):  # noqa: A001 - like display.open
    """The board's battery reader, or None where the board file names no battery ADC."""
    adc = board_data.get("battery_adc")
    if not adc or machine is None:
        return None
    return Battery(adc, machine)
