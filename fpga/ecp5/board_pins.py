#!/usr/bin/env python3
# The pins of a litex-boards platform as an ECP5 LPF (nextpnr-ecp5's constraints): for each resource asked
# for, every pin's site, IO standard and the resource's and subsignal's Misc settings (termination, slew
# rate, differential resistor), under the port names the board's top uses: <resource> for a single pin,
# <resource>_<subsignal> for a subsignal, [i] for each bit of a bus. Called by fpga/ecp5/ecpix5-top.ts (boardLpf):
#   python board_pins.py PLATFORM_MODULE CLOCK_RESOURCE CLOCK_MHZ RESOURCE...
import importlib
import sys

from litex.build.generic_platform import IOStandard, Misc, Pins, Subsignal


def main() -> None:
    module, clock, clock_mhz, *wanted = sys.argv[1:]
    platform = importlib.import_module(f"litex_boards.platforms.{module}")
    io = {(entry[0], entry[1]): entry[2:] for entry in platform._io}
    lines = []
    for res in wanted:
        if (res, 0) not in io:
            raise SystemExit(f"board_pins: {module} has no resource '{res}'")
        items = io[(res, 0)]
        common = [x for x in items if isinstance(x, (IOStandard, Misc))]
        subs = [x for x in items if isinstance(x, Subsignal)]
        pins = [x for x in items if isinstance(x, Pins)]
        groups = [(res, pins[0].identifiers, common)] if pins else []
        for s in subs:
            spins = [c for c in s.constraints if isinstance(c, Pins)][0]
            groups.append((f"{res}_{s.name}", spins.identifiers, common + [c for c in s.constraints if isinstance(c, (IOStandard, Misc))]))
        for name, ids, cons in groups:
            std = [c.name for c in cons if isinstance(c, IOStandard)]
            misc = [c.misc for c in cons if isinstance(c, Misc)]
            attrs = " ".join(([f"IO_TYPE={std[-1]}"] if std else []) + misc)
            for i, site in enumerate(ids):
                port = name if len(ids) == 1 else f"{name}[{i}]"
                lines.append(f'LOCATE COMP "{port}" SITE "{site}";')
                if attrs:
                    lines.append(f'IOBUF PORT "{port}" {attrs};')
    lines.append(f'FREQUENCY PORT "{clock}" {clock_mhz} MHZ;')
    print("\n".join(lines))


if __name__ == "__main__":
    main()
