#!/usr/bin/env python3
# The pins of a litex-boards platform as an ECP5 LPF (nextpnr-ecp5's constraints): for each resource asked
# for, every pin's site, IO standard and the resource's and subsignal's Misc settings (termination, slew
# rate, differential resistor), under the port names the board's top uses: <resource> for a single pin,
# <resource>_<subsignal> for a subsignal, [i] for each bit of a bus. Connector pins (a Feather or SYZYGY
# header's "GPIO:1") are resolved to sites through the platform's connectors. Called by
# fpga/ecp5/ecpix5-top.ts (boardLpf):
#   python board_pins.py PLATFORM_MODULE CLOCK_RESOURCE CLOCK_MHZ [--device D] [--revision R]
#          [--extension NAME] [--serial TX RX IOSTANDARD] RESOURCE...
# --extension adds a resource list the platform module defines beside its pins (the OrangeCrab's
# feather_serial); --serial adds a `serial` resource on two connector pins for a board whose platform has
# none (the ButterStick: a USB-serial adapter on a header).
import importlib
import sys

from litex.build.generic_platform import IOStandard, Misc, Pins, Subsignal


def take(argv: list, flag: str, n: int):
    if flag not in argv:
        return None
    i = argv.index(flag)
    vals = argv[i + 1 : i + 1 + n]
    if len(vals) != n:
        raise SystemExit(f"board_pins: {flag} takes {n} value(s)")
    del argv[i : i + 1 + n]
    return vals


def main() -> None:
    argv = sys.argv[1:]
    device = take(argv, "--device", 1)
    revision = take(argv, "--revision", 1)
    extension = take(argv, "--extension", 1)
    serial = take(argv, "--serial", 3)
    module, clock, clock_mhz, *wanted = argv
    mod = importlib.import_module(f"litex_boards.platforms.{module}")
    kw = {}
    if device:
        kw["device"] = device[0]
    if revision:
        kw["revision"] = revision[0]
    platform = mod.Platform(**kw)
    cm = platform.constraint_manager
    if extension:
        if not hasattr(mod, extension[0]):
            raise SystemExit(f"board_pins: {module} has no resource list '{extension[0]}'")
        cm.add_extension(getattr(mod, extension[0]))
    if serial:
        tx, rx, std = serial
        cm.add_extension([("serial", 0, Subsignal("tx", Pins(tx)), Subsignal("rx", Pins(rx)), IOStandard(std))])
    io = {}
    for entry in cm.available:
        io.setdefault((entry[0], entry[1]), entry[2:])
    resolve = cm.connector_manager.resolve_identifiers
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
            for i, site in enumerate(resolve(ids)):
                port = name if len(ids) == 1 else f"{name}[{i}]"
                lines.append(f'LOCATE COMP "{port}" SITE "{site}";')
                if attrs:
                    lines.append(f'IOBUF PORT "{port}" {attrs};')
    lines.append(f'FREQUENCY PORT "{clock}" {clock_mhz} MHZ;')
    print("\n".join(lines))


if __name__ == "__main__":
    main()
