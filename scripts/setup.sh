#!/usr/bin/env bash
# Installs what this project needs and is missing; safe to run again. Used by `make demo`, `make test`
# and CI. npm packages always; the FPGA tools through apt when we are root (or have passwordless sudo).
#   --with-wasm  also install the WebAssembly yosys/nextpnr (CI does, to keep that path tested)
#   --with-ecp5  also make .venv-ecp5 (ECP5 tools, LiteX/LiteDRAM; scripts/setup-ecp5.sh), which the ECP5
#                commands otherwise make on first use
set -euo pipefail
cd "$(dirname "$0")/.."
# The WebAssembly builds of yosys and nextpnr-ice40, pinned to the versions flow/ is tested with.
YOWASP_PKGS="@yowasp/yosys@0.55.944 @yowasp/nextpnr-ice40@0.8.621"
install_wasm_tools() {
  if [ ! -d node_modules/@yowasp/yosys ] || [ ! -d node_modules/@yowasp/nextpnr-ice40 ]; then
    echo "setup: npm install --no-save $YOWASP_PKGS (WebAssembly yosys and nextpnr-ice40)"
    npm install --no-save --no-audit --no-fund $YOWASP_PKGS
  fi
}

# npm packages: reinstall only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

# Native tools: Verilator (simulation; no substitute), yosys + nextpnr-ice40 + icepack (FPGA flow).
# Debian's verilator package does not pull in the C++ compiler and make that it needs.
missing=()
for tool in verilator g++ make yosys nextpnr-ice40 icepack; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  pkgs="verilator g++ make yosys nextpnr-ice40 fpga-icestorm"
  if [ "$(id -u)" = 0 ]; then
    echo "setup: apt-get install $pkgs (missing: ${missing[*]})"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "setup: sudo apt-get install $pkgs (missing: ${missing[*]})"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  else
    echo "setup: missing ${missing[*]} and no root to install them."
    echo "       As root run: apt-get install -y $pkgs"
    echo "       Meanwhile yosys and nextpnr-ice40 run from npm's WebAssembly builds; Verilator has no such"
    echo "       build, so simulation needs it installed."
    install_wasm_tools
  fi
fi
for arg in "$@"; do
  case "$arg" in
    --with-wasm) install_wasm_tools ;;
    --with-ecp5) bash scripts/setup-ecp5.sh ;;
  esac
done
