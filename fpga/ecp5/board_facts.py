#!/usr/bin/env python3
# What litex-boards and LiteDRAM say about a board, as one JSON object, for fpga/ecp5/ecp5-boards.long.test.ts
# to hold the board descriptors (fpga/ecp5/ecp5-boards.ts) against:
#   python board_facts.py PLATFORM_MODULE DEVICE REVISION SDRAM_MODULE
# device, nextpnr's architecture / package / speed (as LiteX's trellis toolchain derives them), the default
# clock resource and its frequency, the DDR3 pins' widths, the target's --sys-clk-freq default and the
# sdram modules it offers, the module's geometry from litedram.modules, and what the target passes ECP5DDRPHY.
import importlib
import inspect
import json
import re
import sys

from litedram import modules
from litex.build.generic_platform import Pins, Subsignal
from litex.build.lattice.trellis import LatticeTrellisToolchain


def main() -> None:
    module, device, revision, sdram = sys.argv[1:]
    plat_mod = importlib.import_module(f"litex_boards.platforms.{module}")
    kw = {"device": device}
    if revision != "-":
        kw["revision"] = revision
    plat = plat_mod.Platform(**kw)
    family, size, speed, package = LatticeTrellisToolchain.nextpnr_ecp5_parse_device(None, plat.device)
    ddr = next(e for e in plat.constraint_manager.available if e[0] == "ddram")
    widths = {s.name: len([c for c in s.constraints if isinstance(c, Pins)][0].identifiers) for s in ddr[2:] if isinstance(s, Subsignal)}
    target = inspect.getsource(importlib.import_module(f"litex_boards.targets.{module}"))
    sys_clk = re.search(r'"--sys-clk-freq",\s*default=([0-9.e]+)', target)
    m = getattr(modules, sdram)
    print(json.dumps({
        "device": plat.device,
        "arch": LatticeTrellisToolchain.nextpnr_ecp5_architectures[f"{family}-{size}"],
        "package": package,
        "speed": int(speed),
        "clock": plat.default_clk_name,
        "clockMHz": 1e3 / plat.default_clk_period,
        "ddr": widths,
        "targetSysClockMHz": float(sys_clk.group(1)) / 1e6 if sys_clk else None,
        "targetModules": sorted(set(re.findall(r'"(MT41\w+)":', target))),
        "dmSwap": "dm_remapping = {0:1, 1:0}" in target,
        "cmdDelayBelow64MHz": 100 if "cmd_delay    = 0 if sys_clk_freq > 64e6 else 100" in target else 0,
        "rttNomDisabled": 'rtt_nom = "disabled"' in target,
        "module": {"nrows": m.nrows, "ncols": m.ncols, "nbanks": m.nbanks},
        "lists": [n for n, v in vars(plat_mod).items() if isinstance(v, list) and not n.startswith("_")],
    }))


if __name__ == "__main__":
    main()
