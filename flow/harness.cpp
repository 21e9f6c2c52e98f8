// Generic line-oriented driver for a Verilated model, used by flow/verilator.ts.
//
// Everything design-specific (the model class, the port table and the per-port
// get/set code) lives in a generated "ports.h", so this file is identical for
// every design and can be hashed once into the build cache key.
//
// Protocol (stdin, one command per line; results on stdout):
//   S <port> <hex>            set an input (masked to its width)
//   T <n>                     n clock cycles (clk=0,eval,clk=1,eval, monitors)
//   E                         eval only
//   G <tag> <port>            -> "G <tag> <hex>"
//   M <name> <valid> <data>   register a monitor, checked after every posedge
//   W <ready> <maxCycles>     tick until ready was seen high before a posedge
//   F                         -> "F <cycles>", then flush stdout (for hosts that
//                             read results before sending the next command)
//   Q                         -> "Q <cycles>", exit 0
//   D <sub-command> ...       the DRAM model on a native read port (flow/dram-model.h)
// Errors print "X <message>" and exit 2 (3 for a W timeout).
// Design output ($display etc.) is diverted to stderr so that stdout carries
// nothing but protocol lines.

#include <verilated.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <unistd.h>

#if VM_TRACE_FST
#include <verilated_fst_c.h>
#endif

// Provides: HarnessTop, kPorts, kNumPorts, kMaxWords, kClockIndex,
// harnessSetClock(), portSet(), portGet().
#include "ports.h"
// The DRAM model: idle unless a `D config` line attaches it to the design's ports.
#include "dram-model.h"

namespace {

struct Monitor {
    std::string name;
    int valid;
    int data;
};

VerilatedContext* g_ctx = nullptr;
HarnessTop* g_top = nullptr;
#if VM_TRACE_FST
VerilatedFstC* g_trace = nullptr;
#endif
uint64_t g_cycles = 0;
std::vector<Monitor> g_monitors;
std::unordered_map<std::string, int> g_portIndex;
uint32_t g_words[kMaxWords];
std::string g_out;
FILE* g_proto = nullptr;
DramModel g_dram;

// Output is batched by hand because a million-line script would otherwise pay
// for a stdio call per result line.
void flushOut() {
    if (!g_out.empty()) {
        fwrite(g_out.data(), 1, g_out.size(), g_proto);
        g_out.clear();
    }
    fflush(g_proto);
    fflush(stdout);
}

void emit(const std::string& line) {
    g_out += line;
    g_out += '\n';
    if (g_out.size() > (1u << 16)) {
        fwrite(g_out.data(), 1, g_out.size(), g_proto);
        g_out.clear();
    }
}

void shutdown() {
#if VM_TRACE_FST
    // Closing the trace even on error paths keeps partial waveforms readable,
    // which is exactly when they are most wanted.
    if (g_trace) {
        g_trace->close();
        delete g_trace;
        g_trace = nullptr;
    }
#endif
    if (g_top) g_top->final();
    flushOut();
}

[[noreturn]] void fail(int code, const std::string& msg) {
    emit("X " + msg);
    shutdown();
    std::exit(code);
}

[[noreturn]] void finish() {
    emit("Q " + std::to_string(g_cycles));
    shutdown();
    std::exit(0);
}

void step() {
    g_top->eval();
#if VM_TRACE_FST
    // Time must advance between dumps: a repeated timestamp makes Verilator
    // print a warning onto stdout, which would corrupt the protocol stream.
    if (g_trace) g_trace->dump(g_ctx->time());
#endif
    g_ctx->timeInc(1);
}

// $finish is honoured between commands/cycles rather than inside step(), so a
// finishing posedge is still counted and its monitors still reported.
void checkFinish() {
    if (g_ctx->gotFinish()) finish();
}

int nwords(int width) { return (width + 31) / 32; }

int lookupPort(const char* name) {
    auto it = g_portIndex.find(name);
    if (it == g_portIndex.end()) fail(2, std::string("unknown port '") + name + "'");
    return it->second;
}

bool isNonZero(int idx) {
    portGet(g_top, idx, g_words);
    const int n = nwords(kPorts[idx].width);
    for (int i = 0; i < n; ++i)
        if (g_words[i]) return true;
    return false;
}

std::string hexOf(int idx) {
    portGet(g_top, idx, g_words);
    int hi = nwords(kPorts[idx].width) - 1;
    while (hi > 0 && g_words[hi] == 0) --hi;
    char buf[16];
    snprintf(buf, sizeof buf, "%x", g_words[hi]);
    std::string s(buf);
    for (int i = hi - 1; i >= 0; --i) {
        snprintf(buf, sizeof buf, "%08x", g_words[i]);
        s += buf;
    }
    return s;
}

void setFromHex(int idx, const char* hex) {
    const PortInfo& p = kPorts[idx];
    if (!p.isInput) fail(2, std::string("cannot set output port '") + p.name + "'");
    const int n = nwords(p.width);
    std::memset(g_words, 0, sizeof(uint32_t) * n);
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex += 2;
    const size_t len = std::strlen(hex);
    if (len == 0) fail(2, std::string("missing value for port '") + p.name + "'");
    for (size_t k = 0; k < len; ++k) {
        const char c = hex[len - 1 - k];
        uint32_t v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else fail(2, std::string("bad hex value '") + hex + "' for port '" + p.name + "'");
        const size_t w = k / 8;
        if (w < static_cast<size_t>(n)) g_words[w] |= v << ((k % 8) * 4);
    }
    const int rem = p.width % 32;
    if (rem) g_words[n - 1] &= (1u << rem) - 1u;
    portSet(g_top, idx, g_words);
}

void checkMonitors() {
    for (const Monitor& m : g_monitors)
        if (isNonZero(m.valid)) emit("M " + m.name + " " + hexOf(m.data));
}

void tick() {
    if (kClockIndex >= 0) {
        // The DRAM drives its inputs before the low phase settles and samples the handshakes
        // after it, like a synchronous slave on the same clock.
        if (g_dram.active()) g_dram.drive(g_top);
        harnessSetClock(g_top, 0);
        step();
        if (g_dram.active()) g_dram.sample(g_top);
        harnessSetClock(g_top, 1);
        step();
    } else {
        step();
    }
    ++g_cycles;
    checkMonitors();
    checkFinish();
}

uint64_t parseCount(const char* s, const char* what) {
    if (!s || !*s) fail(2, std::string("missing ") + what);
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (*end) fail(2, std::string("bad ") + what + " '" + s + "'");
    return v;
}

// Splits in place; returns the number of tokens (at most `max`).
int tokenize(char* line, char** tok, int max) {
    int n = 0;
    char* p = line;
    while (*p && n < max) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') ++p;
        if (!*p) break;
        tok[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') ++p;
        if (*p) *p++ = '\0';
    }
    return n;
}

void expectArgs(int got, int want, const char* cmd) {
    if (got != want)
        fail(2, std::string("command ") + cmd + " expects " + std::to_string(want - 1) +
                    " argument(s), got " + std::to_string(got - 1));
}

}  // namespace

int main(int argc, char** argv) {
    const char* traceFile = nullptr;
    for (int i = 1; i < argc; ++i)
        if (std::strncmp(argv[i], "+trace=", 7) == 0) traceFile = argv[i] + 7;

    const int protoFd = dup(STDOUT_FILENO);
    g_proto = protoFd >= 0 ? fdopen(protoFd, "w") : nullptr;
    if (!g_proto || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        std::fprintf(stderr, "harness: cannot set up protocol stream\n");
        return 2;
    }
    static char outBuf[1 << 16];
    setvbuf(g_proto, outBuf, _IOFBF, sizeof outBuf);

    auto ctx = std::make_unique<VerilatedContext>();
    g_ctx = ctx.get();
    ctx->commandArgs(argc, argv);
#if VM_TRACE_FST
    if (traceFile) ctx->traceEverOn(true);  // must precede model construction
#endif
    auto top = std::make_unique<HarnessTop>(ctx.get(), "TOP");
    g_top = top.get();

    for (int i = 0; i < kNumPorts; ++i) g_portIndex.emplace(kPorts[i].name, i);

    if (traceFile) {
#if VM_TRACE_FST
        g_trace = new VerilatedFstC;
        g_top->trace(g_trace, 99);
        g_trace->open(traceFile);
#else
        fail(2, "model was built without trace support (+trace requested)");
#endif
    }

    // Settle initial blocks and combinational outputs before the first command.
    if (kClockIndex >= 0) harnessSetClock(g_top, 0);
    step();
    checkFinish();

    char* line = nullptr;
    size_t cap = 0;
    char* tok[6];
    while (getline(&line, &cap, stdin) >= 0) {
        // D lines carry key=value lists and paths with spaces, so the model parses them itself.
        if (line[0] == 'D' && (line[1] == ' ' || line[1] == '\t' || line[1] == '\n' || line[1] == '\0')) {
            const std::string err = g_dram.command(line + 1, g_top, [](const std::string& l) { emit(l); });
            if (!err.empty()) fail(2, err);
            continue;
        }
        const int n = tokenize(line, tok, 6);
        if (n == 0) continue;
        const char* cmd = tok[0];
        if (cmd[1] != '\0') fail(2, std::string("unknown command '") + cmd + "'");
        switch (cmd[0]) {
            case 'S': {
                expectArgs(n, 3, cmd);
                const int idx = lookupPort(tok[1]);
                if (g_dram.owns(idx)) fail(2, std::string("port '") + tok[1] + "' is driven by the DRAM model");
                setFromHex(idx, tok[2]);
                break;
            }
            case 'T': {
                uint64_t count = 1;
                if (n > 2) expectArgs(n, 2, cmd);
                if (n == 2) count = parseCount(tok[1], "tick count");
                for (uint64_t i = 0; i < count; ++i) tick();
                break;
            }
            case 'E': {
                expectArgs(n, 1, cmd);
                step();
                checkFinish();
                break;
            }
            case 'G': {
                expectArgs(n, 3, cmd);
                const int idx = lookupPort(tok[2]);
                emit(std::string("G ") + tok[1] + " " + hexOf(idx));
                break;
            }
            case 'M': {
                expectArgs(n, 4, cmd);
                g_monitors.push_back({tok[1], lookupPort(tok[2]), lookupPort(tok[3])});
                break;
            }
            case 'W': {
                expectArgs(n, 3, cmd);
                const int ready = lookupPort(tok[1]);
                const uint64_t maxCycles = parseCount(tok[2], "cycle limit");
                bool seen = false;
                for (uint64_t i = 0; i < maxCycles && !seen; ++i) {
                    step();
                    checkFinish();
                    seen = isNonZero(ready);
                    tick();
                }
                if (!seen) fail(3, std::string("timeout waiting for ") + tok[1]);
                break;
            }
            case 'F': {
                expectArgs(n, 1, cmd);
                emit("F " + std::to_string(g_cycles));
                flushOut();
                break;
            }
            case 'Q': {
                expectArgs(n, 1, cmd);
                free(line);
                finish();
            }
            default: fail(2, std::string("unknown command '") + cmd + "'");
        }
    }
    free(line);
    // EOF without Q is treated as an orderly finish so a truncated pipe still
    // reports the cycle count rather than looking like a crash.
    finish();
}
