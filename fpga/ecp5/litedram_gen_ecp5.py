#!/usr/bin/env python3
# Runs LiteDRAM's standalone core generator (litedram_gen) for an ECP5 board, with two changes for the
# simulated core, so that it behaves like the board's rather than like LiteX's generic simulation:
#   - the SDRAM PHY model takes the settings ECP5DDRPHY has on the board (1:2 rate, two DFI phases each
#     carrying half a BL8 burst, its read and write latencies), where litedram_gen --sim would use the
#     1:4 settings of Xilinx's 7-series PHY (twice the board's bandwidth per system cycle);
#   - the module runs at that 1:2 rate (litedram_gen --sim picks 1:4 for DDR3), and may have fewer rows
#     (--sim-rows): the model holds every row in simulator memory, and rows only add address bits, not
#     timing (the row size, the banks and the timings stay those of the real part).
# and one change for every core (--trfc-ns): the part's refresh time in nanoseconds, as its datasheet gives
# it. LiteDRAM's table gives the MT41J/K256M16's tRFC as 208 clocks, the DDR3-1600 figure (260 ns at
# 1.25 ns), and counts clocks at the clock it runs the part at: at the ECPIX-5's 150 MHz that is 1,387 ns,
# 104 system cycles of every 585, a fifth of the bandwidth (docs/ecp5.md). tRFC is a time (JEDEC: 260 ns
# for a 4 Gb part), so it is given as one.
# Everything else is litedram_gen itself. Called by fpga/ecp5/litedram.ts, never by hand:
#   python litedram_gen_ecp5.py CONFIG.yml --output-dir DIR [--trfc-ns T] [--sim [--sim-rows N]]
import sys

import litedram.gen as gen
import litex.tools.litex_sim as litex_sim
from litedram import modules
from litedram.phy.ecp5ddrphy import ECP5DDRPHY
from litex.build.lattice import LatticePlatform


def main() -> None:
    argv = sys.argv[1:]
    sim_rows = None
    if "--trfc-ns" in argv:
        i = argv.index("--trfc-ns")
        set_trfc_ns(config_path(argv), float(argv[i + 1]))
        del argv[i : i + 2]
    if "--sim-rows" in argv:
        i = argv.index("--sim-rows")
        sim_rows = int(argv[i + 1])
        del argv[i : i + 2]
    if "--sim" in argv:
        patch_for_sim(config_path(argv), sim_rows)
    sys.argv = ["litedram_gen", *argv]
    gen.main()


def config_path(argv: list) -> str:
    for a in argv:
        if a.endswith(".yml") or a.endswith(".yaml"):
            return a
    raise SystemExit("litedram_gen_ecp5: no .yml config among the arguments")


def set_trfc_ns(path: str, trfc_ns: float) -> None:
    import yaml

    name = yaml.safe_load(open(path))["sdram_module"]
    base = getattr(modules, name)
    if not 50 <= trfc_ns <= 1000:
        raise SystemExit(f"litedram_gen_ecp5: --trfc-ns {trfc_ns}: a DDR3 tRFC is 90 to 350 ns")

    class DatasheetRefresh(base):
        # Every speed grade's tRFC as a time; the other timings stay the table's.
        speedgrade_timings = {
            k: type(v)(**{**{f: getattr(v, f) for f in ("tRP", "tRCD", "tWR", "tFAW", "tRAS")}, "tRFC": (None, trfc_ns)})
            for k, v in base.speedgrade_timings.items()
        }

    DatasheetRefresh.__name__ = name
    setattr(modules, name, DatasheetRefresh)


def patch_for_sim(path: str, sim_rows) -> None:
    import yaml

    cfg = yaml.safe_load(open(path))
    if cfg.get("sdram_phy") != "ECP5DDRPHY" or cfg.get("memtype") != "DDR3":
        raise SystemExit(f"litedram_gen_ecp5: {path}: only an ECP5DDRPHY DDR3 core is simulated as on the board")
    sys_clk = float(cfg["sys_clk_freq"])
    # The board PHY's settings: build the PHY on the pads litedram_gen itself would give it and keep only them.
    cfg_for_ios = dict(cfg, sdram_module=getattr(modules, cfg["sdram_module"]))
    platform = LatticePlatform(cfg["device"], io=gen.get_dram_ios(cfg_for_ios), toolchain="trellis")
    board_settings = ECP5DDRPHY(platform.request("ddram"), sys_clk_freq=sys_clk).settings

    def ecp5_settings(memtype, data_width, clk_freq):
        assert memtype == "DDR3" and data_width == board_settings.databits and clk_freq == sys_clk
        return board_settings

    litex_sim.get_sdram_phy_settings = ecp5_settings
    # LiteX's own simulator build (which we do not use: flow/verilator.ts builds the core) needs the tapcfg
    # data package for its Ethernet model; the Verilog is written before it, so that step is skipped.
    import litex.build.sim.verilator as sim_verilator

    sim_verilator._generate_sim_variables = lambda *a, **k: None
    base = getattr(modules, cfg["sdram_module"])

    class BoardRate(base):
        # litedram_gen --sim asks for 1:4; the board's PHY runs the module at 1:2.
        def __init__(self, clk_freq, rate=None, **kw):
            super().__init__(clk_freq, "1:2", **kw)

    if sim_rows is not None:
        if sim_rows & (sim_rows - 1) or not 256 <= sim_rows <= base.nrows:
            raise SystemExit(f"litedram_gen_ecp5: --sim-rows {sim_rows}: a power of two from 256 to {base.nrows}")
        BoardRate.nrows = sim_rows
    setattr(modules, cfg["sdram_module"], BoardRate)


if __name__ == "__main__":
    main()
