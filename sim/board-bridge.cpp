// The simulated board: the Verilated board top (board/board-top.ts) with its UART pins bridged to a TCP
// socket, so the Node host talks to it through the same code as to a serial port (host/).
//
//   Vharness --cycles-per-bit D [--port P] [--trace FILE]
//
// Listens on 127.0.0.1:P (0: any free port), prints "LISTEN <port>" and waits for the first connection
// (so the host sees the board announce itself after power-on).
// Bytes from the socket go onto uart_rx as 8N1 frames of exactly D cycles per bit, back to back; uart_tx
// is sampled at the middle of each bit and every good frame goes back to the socket. The model runs
// freely all the while (a board's clock does not stop when the line is quiet). Commands on stdin, one
// per line: "reset" holds btn_n low for 32 cycles (the board's reset button); "quit" ends the program.
// Like a board on a serial line, the model keeps running when the host goes away: what it sends then is
// lost, and the next host to connect finds it as it was left; a host that connects while another is
// connected is closed at once. The program ends on "quit" or when stdin
// closes (the process that started it is gone). Errors go to stderr with exit code 2.
//
// Built with -DBRIDGE_PRELOAD (a board with DRAM: fpga/ecp5/ecpix5-sim.ts), it also takes
//   --preload FILE --preload-word W
// and, before it listens, runs the board until `dram_ready`, then writes FILE into the DRAM from 128-bit
// word W through the top's pre_* port (pre_active, pre_cmd_valid/ready/addr, pre_wdata_valid/ready/data:
// LiteDRAM's native write port, which the top hands to this harness while pre_active is 1), as an
// earlier session's upload would have left it. The board's own state is untouched: it does not know the
// image is there until the host asks it to check (VERIFY, docs/protocol.md).
//
// Built with -DBRIDGE_STEPS (a top with step_done and step_cycles), it prints "STEP <cycles>" on stderr
// for every step the accelerator finishes: its own count of the step's cycles.

#include <verilated.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>
#include <algorithm>

#if VM_TRACE_FST
#include <verilated_fst_c.h>
#endif

#include "ports.h"

namespace {

[[noreturn]] void fail(const std::string& msg) {
    std::fprintf(stderr, "board-bridge: %s\n", msg.c_str());
    std::exit(2);
}

// 8N1 onto a line, one bit every `d` cycles.
struct UartDriver {
    int d;
    std::deque<uint8_t> queue;
    int bit = -1;  // -1 idle; 0 start, 1..8 data, 9 stop
    int count = 0;
    uint8_t byte = 0;
    int level() const {
        if (bit < 0 || bit == 9) return 1;
        if (bit == 0) return 0;
        return (byte >> (bit - 1)) & 1;
    }
    void cycle() {
        if (bit < 0) {
            if (queue.empty()) return;
            byte = queue.front();
            queue.pop_front();
            bit = 0;
            count = 0;
            return;
        }
        if (++count == d) {
            count = 0;
            if (++bit == 10) bit = -1;
        }
    }
};

// 8N1 off a line: a falling edge starts a frame, each bit is read at its middle.
struct UartSampler {
    int d;
    int state = 0;  // 0 idle, 1 receiving
    int count = 0;
    int bits = 0;
    uint8_t byte = 0;
    bool cycle(int line, uint8_t* out) {
        if (state == 0) {
            if (line == 0) {
                state = 1;
                count = 0;
                bits = 0;
            }
            return false;
        }
        ++count;
        // bit k (0 = start) has its middle at d/2 + k d cycles after the falling edge
        if (count == d / 2 + bits * d) {
            if (bits == 0) {
                if (line != 0) state = 0;  // a glitch, not a start bit
            } else if (bits <= 8) {
                byte = static_cast<uint8_t>(byte >> 1 | (line ? 0x80 : 0));
            } else {
                state = 0;
                if (line == 1) {
                    *out = byte;
                    return true;
                }
                return false;  // framing error: dropped, as a UART does
            }
            ++bits;
        }
        return false;
    }
};

#ifdef BRIDGE_PRELOAD
// Run until the DRAM is up, then write the file's 16-byte words through the pre_* port at the rate the
// port takes them (commands and data are separate streams, as LiteDRAM's native port has them).
template <typename Step>
void preload(HarnessTop* top, Step clockCycle, const uint64_t& cycle, const char* file, uint64_t firstWord) {
    FILE* f = std::fopen(file, "rb");
    if (!f) fail(std::string("--preload ") + file + ": " + std::strerror(errno));
    std::vector<uint8_t> bytes;
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
    std::fclose(f);
    const uint64_t words = (bytes.size() + 15) / 16;
    bytes.resize(words * 16, 0);
    const uint64_t started = cycle;
    while (!top->dram_ready) {
        clockCycle();
        if (cycle - started > 20000000) fail("--preload: the DRAM did not come up in 20 M cycles");
    }
    const uint64_t up = cycle;
    top->pre_active = 1;
    uint64_t cmd = 0, data = 0;
    while (data < words) {
        top->pre_cmd_valid = cmd < words;
        top->pre_cmd_addr = static_cast<uint32_t>(firstWord + cmd);  // the port address is under 32 bits
        top->pre_wdata_valid = data < words;
        std::memcpy(&top->pre_wdata_data[0], &bytes[16 * std::min(data, words - 1)], 16);
        top->eval();  // the readies, for these inputs
        const bool cmdTaken = top->pre_cmd_valid && top->pre_cmd_ready;
        const bool dataTaken = top->pre_wdata_valid && top->pre_wdata_ready;
        clockCycle();
        cmd += cmdTaken;
        data += dataTaken;
        if (cycle - up > 64 * words + 100000) fail("--preload: the DRAM stopped taking writes");
    }
    top->pre_cmd_valid = 0;
    top->pre_wdata_valid = 0;
    for (int i = 0; i < 256; ++i) clockCycle();  // the last writes leave the controller's queues
    top->pre_active = 0;
    std::fprintf(stderr, "board-bridge: preloaded %llu bytes from DRAM word %llu in %llu cycles (DRAM up after %llu)\n",
                 static_cast<unsigned long long>(bytes.size()), static_cast<unsigned long long>(firstWord),
                 static_cast<unsigned long long>(cycle - up), static_cast<unsigned long long>(up - started));
}
#endif

}  // namespace

int main(int argc, char** argv) {
    int cyclesPerBit = 0;
    int port = 0;
    const char* traceFile = nullptr;
#ifdef BRIDGE_PRELOAD
    const char* preloadFile = nullptr;
    uint64_t preloadWord = 0;
#endif
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--cycles-per-bit" && i + 1 < argc) cyclesPerBit = std::atoi(argv[++i]);
        else if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
        else if (a == "--trace" && i + 1 < argc) traceFile = argv[++i];
#ifdef BRIDGE_PRELOAD
        else if (a == "--preload" && i + 1 < argc) preloadFile = argv[++i];
        else if (a == "--preload-word" && i + 1 < argc) preloadWord = std::strtoull(argv[++i], nullptr, 10);
#endif
        else if (a.rfind("+verilator", 0) == 0) continue;
        else fail("unknown argument " + a);
    }
    if (cyclesPerBit < 4) fail("--cycles-per-bit must be at least 4");

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0) fail(std::string("socket: ") + std::strerror(errno));
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail(std::string("bind: ") + std::strerror(errno));
    if (listen(listener, 1) != 0) fail(std::string("listen: ") + std::strerror(errno));
    socklen_t len = sizeof addr;
    getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    auto useClient = [&](int c) {
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
    };

    auto* ctx = new VerilatedContext;
    ctx->commandArgs(argc, argv);
    auto* top = new HarnessTop{ctx};
#if VM_TRACE_FST
    VerilatedFstC* trace = nullptr;
    if (traceFile) {
        ctx->traceEverOn(true);
        trace = new VerilatedFstC;
        top->trace(trace, 99);
        trace->open(traceFile);
    }
#else
    if (traceFile) fail("this model was built without tracing");
#endif
    UartDriver rx{cyclesPerBit};
    UartSampler tx{cyclesPerBit};
    std::string out;
    std::string control;
    int resetLeft = 0;
    uint64_t cycle = 0;
    top->uart_rx = 1;
    top->btn_n = 1;
    top->clk = 0;
    top->eval();
    auto clockCycle = [&]() {
        top->clk = 1;
        top->eval();
#if VM_TRACE_FST
        if (trace) trace->dump(ctx->time());
#endif
        ctx->timeInc(1);
        top->clk = 0;
        top->eval();
#if VM_TRACE_FST
        if (trace) trace->dump(ctx->time());
#endif
        ctx->timeInc(1);
        ++cycle;
    };
#ifdef BRIDGE_PRELOAD
    if (preloadFile) preload(top, clockCycle, cycle, preloadFile, preloadWord);
#endif
    std::printf("LISTEN %d\n", ntohs(addr.sin_port));
    std::fflush(stdout);
    int client = accept(listener, nullptr, nullptr);
    if (client < 0) fail(std::string("accept: ") + std::strerror(errno));
    useClient(client);
    fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    for (;;) {
        top->uart_rx = static_cast<uint8_t>(rx.level());
        top->btn_n = resetLeft > 0 ? 0 : 1;
#ifdef BRIDGE_STEPS
        const bool stepDone = top->step_done;
#endif
        clockCycle();
#ifdef BRIDGE_STEPS
        if (stepDone) std::fprintf(stderr, "STEP %llu\n", static_cast<unsigned long long>(top->step_cycles));
#endif
        rx.cycle();
        if (resetLeft > 0) --resetLeft;
        uint8_t b;
        if (tx.cycle(top->uart_tx, &b)) out.push_back(static_cast<char>(b));

        if ((cycle & 127) == 0 && client >= 0) {
            bool gone = false;
            if (!out.empty()) {
                ssize_t n = send(client, out.data(), out.size(), MSG_NOSIGNAL);
                if (n > 0) out.erase(0, static_cast<size_t>(n));
                else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) gone = true;
            }
            if (!gone && rx.queue.size() < 4096) {
                uint8_t buf[4096];
                ssize_t n = recv(client, buf, sizeof buf, 0);
                if (n > 0) rx.queue.insert(rx.queue.end(), buf, buf + n);
                else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) gone = true;
            }
            if (gone) {  // the host closed the connection: the board runs on, alone
                close(client);
                client = -1;
            }
        }
        if (client < 0) out.clear();
        if ((cycle & 4095) == 0) {
            if (client < 0) {
                client = accept(listener, nullptr, nullptr);
                if (client >= 0) useClient(client);
            } else {
                // A second host while one is connected is turned away at once, as a serial port opened
                // by one program refuses another: it sees the connection closed, not a board that
                // answers two hosts' frames interleaved.
                int extra = accept(listener, nullptr, nullptr);
                if (extra >= 0) {
                    // Unless the first host has just gone and we have not read its end yet: then the
                    // newcomer takes its place (a host that reconnects at once is not turned away).
                    uint8_t peek;
                    ssize_t n = recv(client, &peek, 1, MSG_PEEK);
                    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                        close(client);
                        client = extra;
                        useClient(client);
                    } else {
                        close(extra);
                    }
                }
            }
            char buf[256];
            ssize_t n = read(0, buf, sizeof buf);
            if (n > 0) control.append(buf, static_cast<size_t>(n));
            else if (n == 0) break;  // stdin closed: whoever started us is gone
            size_t nl;
            while ((nl = control.find('\n')) != std::string::npos) {
                std::string cmd = control.substr(0, nl);
                control.erase(0, nl + 1);
                if (cmd == "reset") resetLeft = 32;
                else if (cmd == "quit") goto done;
                else std::fprintf(stderr, "board-bridge: unknown command '%s'\n", cmd.c_str());
            }
        }
    }
done:
#if VM_TRACE_FST
    if (trace) trace->close();
#endif
    top->final();
    if (client >= 0) close(client);
    close(listener);
    std::fprintf(stderr, "board-bridge: %llu cycles\n", static_cast<unsigned long long>(cycle));
    delete top;
    delete ctx;
    return 0;
}
