"""The MPU6886/MPU6050 driver against register-level models of the parts (fake I2C bus)."""

import pytest

from host_tools import BOARDS_DIR, firmware
from host_tools.fakes.imu_models import FakeI2C, ManualClock, MPU6886Model, SampleSource

mpu = firmware.load("mpu6886")
board = firmware.load("board")

SAMPLE = (512, -250, 980, 1234, -567, 89)  # band frame: mg and 0.1 deg/s


def rig(part="mpu6886", driver_part=None, board_name=None, sample=SAMPLE, **kw):
    clock = ManualClock(1000)
    b = board.load(board_name, str(BOARDS_DIR)) if board_name else None
    src = SampleSource([0], [[v] for v in sample])
    model = MPU6886Model(clock, src, part, to_band=b.imu["to_band"] if b else None)
    i2c = FakeI2C({0x68: model})
    imu = mpu.MPU6886(i2c, 0x68, driver_part or part, to_band=b.to_band if b else None,
                      sleep_ms=clock.sleep_ms, **kw)
    return clock, model, imu


def test_who_am_i_mismatch_names_the_part_found():
    with pytest.raises(mpu.IMUError, match=r"expected a mpu6886 .* reads 0x68 \(mpu6050\)"):
        rig(part="mpu6050", driver_part="mpu6886")


def test_nothing_at_the_address():
    with pytest.raises(mpu.IMUError, match="no mpu6886 answers at I2C address 0x69"):
        mpu.MPU6886(FakeI2C({}), 0x69, "mpu6886", sleep_ms=lambda ms: None)


@pytest.mark.parametrize("part", ["mpu6886", "mpu6050"])
@pytest.mark.parametrize("accel_fs, gyro_fs", [(2, 250), (4, 500), (8, 1000), (16, 2000)])
def test_fifo_batch_in_band_units_at_every_range(part, accel_fs, gyro_fs):
    sample = (512, -250, 980, 123, -56, 89) if gyro_fs == 250 else SAMPLE
    clock, model, imu = rig(part, accel_fs_g=accel_fs, gyro_fs_dps=gyro_fs, sample=sample)
    clock.ms += 1000  # one second at 50 Hz
    before = model.transactions
    n, lost = imu.read_batch()
    assert (n, lost) == (50, 0)
    assert model.transactions - before == 3  # status, count, one burst: no per-sample polling
    lsb_mg = 1000 * accel_fs / 32768 + 1
    lsb_dds = 10 * gyro_fs / 32768 + 1
    for k in range(n):
        got = imu.batch[6 * k:6 * k + 6]
        assert all(abs(got[i] - sample[i]) <= lsb_mg for i in range(3)), got
        assert all(abs(got[3 + i] - sample[3 + i]) <= lsb_dds for i in range(3)), got


def test_batches_larger_than_the_buffer_come_in_turns():
    clock, model, imu = rig(batch=20)
    clock.ms += 1000
    assert imu.read_batch() == (20, 0)
    assert imu.read_batch() == (20, 0)
    assert imu.read_batch() == (10, 0)
    assert imu.read_batch() == (0, 0)


def test_board_rotation_is_undone():
    clock, model, imu = rig(board_name="m5stickc_plus2")
    clock.ms += 200
    n, _ = imu.read_batch()
    assert n == 10
    assert abs(imu.batch[0] - SAMPLE[0]) <= 1 and abs(imu.batch[1] - SAMPLE[1]) <= 1
    # in the IMU's own frame (band y = imu x), x holds band y = -250 mg: a negative int16
    raw_x = model.regs[0x3B] << 8 | model.regs[0x3C]
    assert raw_x > 32767


def test_fifo_overflow_is_reported_and_recovered():
    clock, model, imu = rig()
    clock.ms += 3000  # 150 samples * 14 bytes > 1024
    n, lost = imu.read_batch()
    assert (n, lost) == (0, 1) and imu.overflows == 1
    clock.ms += 400
    n, lost = imu.read_batch()
    assert (n, lost) == (20, 0)
    assert abs(imu.batch[0] - SAMPLE[0]) <= 1  # frames aligned again


def test_i2c_errors_are_retried_then_the_part_restarted():
    clock, model, imu = rig()
    clock.ms += 200
    model.fail_next = 2
    assert imu.read_batch() == (10, 0) and imu.i2c_errors == 2
    model.fail_next = 3
    clock.ms += 200
    assert imu.read_batch() == (0, -1)
    clock.ms += 200
    assert imu.read_batch() == (10, 0)  # re-initialised and counting again


def test_wake_on_motion_setup_puts_the_part_in_cycle_mode():
    for part in ("mpu6886", "mpu6050"):
        clock, model, imu = rig(part)
        imu.wake_on_motion(80)
        assert model.regs[0x6B] == 0x21 and model.regs[0x6C] == 0x07
        assert model.regs[0x38] & (0xE0 if part == "mpu6886" else 0x40)
