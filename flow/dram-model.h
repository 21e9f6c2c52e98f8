// A DRAM behind a LiteDRAM-style native read port, for flow/harness.cpp.
//
// Included after the generated "ports.h" (it drives and samples the design's ports through
// kPorts / portGet / portSet), so one model serves every design. It is idle until the harness
// passes it a `D config ...` line; until then it costs one branch per cycle.
//
// The port, as the design sees it: outputs cmd_valid, cmd_addr (in port words), rdata_ready;
// inputs cmd_ready, rdata_valid, rdata_data (W bits, a whole number of bytes). One command is
// one W-bit word, reads only, data returns in command order.
//
// Timing model (docs/dram.md). A command accepted in cycle t is scheduled at acceptance, since an
// in-order controller's issue times depend only on what came before:
//   - the data bus moves one word per W/8/peak cycles (never faster than one per cycle); its
//     time is a double, so a fractional rate accumulates exactly;
//   - address mapping row/bank/column (LiteDRAM's default): byte address -> row index
//     byte / rowBytes, bank = index % banks, row = index / banks (rowBytes 0: no rows at all);
//   - a command to a bank whose open row differs (or that is closed) needs an activate of
//     missPenalty cycles (tRP + tRCD), which starts once the command is in the queue and the
//     bank's previous access has finished its transfer, so a row change within one bank costs
//     exactly the penalty, and a deep queue hides it behind other banks' transfers;
//   - every refreshInterval cycles (tREFI) the memory refreshes for refreshCycles (tRFC): no
//     issue inside the window, and every bank is closed after it; a word whose transfer (longer
//     than a cycle when the peak is below the port width) spans the window's start is finished
//     after it, its row opened again;
//   - data may be valid from cycle issue + latency (issue >= t, so at least t + latency);
//   - at most queueDepth commands are accepted and not yet returned;
//   - random back-pressure: with probability p per cycle cmd_ready is held low, and
//     (independently, with the same p) a ready word is withheld; drawn from a seeded PRNG.
//
// Protocol lines (the harness hands over everything after the leading `D`):
//   D config key=value ...    (re)start the model: ports, timing; resets queue and statistics
//   D image <byteOffset> <path>  map a file at a byte address (the rest of the line is the path);
//                             later images win where they overlap; unmapped bytes read as 0
//   D unload                  drop every image
//   D stats <tag>             -> "G <tag>.<name> <hex>" for each statistic

#pragma once

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "dram-model.h packs port words by memcpy and assumes a little-endian host"
#endif

class DramModel {
public:
    bool active() const { return active_; }

    // True for the inputs the model drives, so the harness can refuse an `S` on them.
    bool owns(int idx) const { return active_ && (idx == cmdReady_ || idx == rValid_ || idx == rData_); }

    // Handles one `D` line; returns an error message, or "" when it succeeded. `emit` receives
    // result lines (only `stats` has any).
    template <typename Emit>
    std::string command(char* args, HarnessTop* top, Emit emit) {
        char* p = skipSpace(args);
        char* word = p;
        while (*p && !isSpace(*p)) ++p;
        const std::string sub(word, p - word);
        p = skipSpace(p);
        if (sub == "config") return configure(p, top);
        if (sub == "image") return mapImage(p);
        if (sub == "unload") {
            unmapAll();
            return "";
        }
        if (sub == "stats") {
            std::string tag = trimmed(p);
            if (tag.empty() || tag.find_first_of(" \t") != std::string::npos)
                return "D stats needs one tag";
            if (!active_) return "D stats before D config";
            statsLines(tag, emit);
            return "";
        }
        return "unknown D sub-command '" + sub + "' (config, image, unload, stats)";
    }

    // Before the cycle's evaluation: present this cycle's cmd_ready, rdata_valid and data.
    void drive(HarnessTop* top) {
        cmdReadyOut_ = count_ < depth_ && !draw();
        validOut_ = count_ > 0 && queue_[head_].ready <= now_ && !draw();
        if (validOut_ && shownSeq_ != headSeq_) {
            loadWord(queue_[head_].addr);
            portSet(top, rData_, words_.data());
            shownSeq_ = headSeq_;
        }
        one_[0] = cmdReadyOut_ ? 1u : 0u;
        portSet(top, cmdReady_, one_);
        one_[0] = validOut_ ? 1u : 0u;
        portSet(top, rValid_, one_);
    }

    // After the evaluation, before the clock edge: the handshakes of this cycle.
    void sample(HarnessTop* top) {
        const bool cmdValid = nonZero(top, cmdValid_);
        const bool rReady = nonZero(top, rReady_);
        if (rReady && !validOut_ && count_ > 0) ++dataWait_;
        if (cmdValid && !cmdReadyOut_) ++cmdWait_;
        if (validOut_ && rReady) {
            head_ = (head_ + 1) % depth_;
            --count_;
            ++headSeq_;
            ++beats_;
        }
        if (cmdValid && cmdReadyOut_) accept(readAddr(top));
        ++now_;
    }

    ~DramModel() { unmapAll(); }

private:
    struct Entry {
        uint64_t addr;
        uint64_t ready;
    };
    struct Bank {
        int64_t openRow = -1;
        uint64_t epoch = 0;
        double lastEnd = 0;  // bus time at which the bank's last access finished its transfer
    };
    struct Image {
        uint64_t offset;
        uint64_t size;
        const uint8_t* data;
    };

    bool active_ = false;
    int cmdValid_ = -1, cmdReady_ = -1, cmdAddr_ = -1, rValid_ = -1, rReady_ = -1, rData_ = -1;
    uint64_t wordBytes_ = 0;
    double peak_ = 0;      // bytes per cycle, already limited to the port's width
    double beatTime_ = 1;  // cycles of data bus per word
    uint64_t latency_ = 1, rowBytes_ = 1, banks_ = 1, missPenalty_ = 0;
    uint64_t refreshInterval_ = 0, refreshCycles_ = 0, depth_ = 1;
    double backPressure_ = 0;
    uint64_t rng_ = 0;

    std::vector<Entry> queue_;
    uint64_t head_ = 0, count_ = 0, headSeq_ = 0, shownSeq_ = ~0ull;
    std::vector<Bank> bankState_;
    double busFree_ = 0;
    uint64_t now_ = 0;
    bool cmdReadyOut_ = false, validOut_ = false;

    uint64_t commands_ = 0, beats_ = 0, cmdWait_ = 0, dataWait_ = 0, rowMisses_ = 0;
    double refreshStall_ = 0;

    std::vector<Image> images_;
    std::vector<uint8_t> bytes_;
    std::vector<uint32_t> words_;
    uint32_t one_[2] = {0, 0};
    std::vector<uint32_t> scratch_;

    static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
    static char* skipSpace(char* p) {
        while (*p && isSpace(*p)) ++p;
        return p;
    }
    static std::string trimmed(const char* p) {
        std::string s(p);
        while (!s.empty() && isSpace(s.back())) s.pop_back();
        size_t i = 0;
        while (i < s.size() && isSpace(s[i])) ++i;
        return s.substr(i);
    }

    // splitmix64: a full-period 64-bit generator, reproducible from its seed on every platform.
    double uniform() {
        uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        return static_cast<double>(z >> 11) * (1.0 / 9007199254740992.0);
    }
    // Without back-pressure no number is drawn, so the stream stays the same whatever p = 0 means.
    bool draw() { return backPressure_ > 0 && uniform() < backPressure_; }

    bool nonZero(HarnessTop* top, int idx) {
        portGet(top, idx, scratch_.data());
        const int n = (kPorts[idx].width + 31) / 32;
        for (int i = 0; i < n; ++i)
            if (scratch_[i]) return true;
        return false;
    }

    uint64_t readAddr(HarnessTop* top) {
        portGet(top, cmdAddr_, scratch_.data());
        uint64_t a = scratch_[0];
        if (kPorts[cmdAddr_].width > 32) a |= static_cast<uint64_t>(scratch_[1]) << 32;
        return a;
    }

    void loadWord(uint64_t addr) {
        std::fill(bytes_.begin(), bytes_.end(), 0);
        // A word address so large that its byte address wraps reads as zero, like any unmapped word.
        if (addr <= UINT64_MAX / wordBytes_) {
            const uint64_t lo = addr * wordBytes_;
            const uint64_t hi = lo + wordBytes_;
            for (const Image& im : images_) {
                const uint64_t a = std::max(lo, im.offset);
                const uint64_t b = std::min(hi, im.offset + im.size);
                if (a < b) std::memcpy(bytes_.data() + (a - lo), im.data + (a - im.offset), b - a);
            }
        }
        std::memcpy(words_.data(), bytes_.data(), bytes_.size());
    }

    void accept(uint64_t addr) {
        const uint64_t t = now_;
        // row_bytes is whole words; 0 means one endless row, so nothing ever misses but the first access.
        const uint64_t rowIndex = rowBytes_ ? addr / (rowBytes_ / wordBytes_) : 0;
        const uint64_t bankNo = rowIndex % banks_;
        const int64_t row = static_cast<int64_t>(rowIndex / banks_);
        Bank& bank = bankState_[bankNo];
        double start = std::max(busFree_, static_cast<double>(t));
        double issue = start;
        uint64_t epoch = 0;
        bool hit = false;
        for (;;) {
            if (refreshInterval_) {
                const uint64_t k = static_cast<uint64_t>(start / refreshInterval_);
                const double windowEnd = static_cast<double>(k * refreshInterval_ + refreshCycles_);
                if (k >= 1 && start < windowEnd) {
                    refreshStall_ += windowEnd - start;
                    start = windowEnd;
                }
                epoch = k;
            }
            hit = bank.openRow == row && bank.epoch == epoch;
            issue = start;
            if (!hit) {
                const double refreshed =
                    epoch >= 1 ? static_cast<double>(epoch * refreshInterval_ + refreshCycles_) : 0.0;
                const double activate = std::max({static_cast<double>(t), bank.lastEnd, refreshed});
                issue = std::max(start, activate + static_cast<double>(missPenalty_));
            }
            // An activate that runs into the next refresh waits for it and starts again after it.
            if (refreshInterval_ && issue >= static_cast<double>((epoch + 1) * refreshInterval_)) {
                start = static_cast<double>((epoch + 1) * refreshInterval_);
                continue;
            }
            break;
        }
        if (!hit) ++rowMisses_;
        double end = issue + beatTime_;
        double done = issue;  // when the word's last data left the memory, less one word's bus time
        // A word slower than a cycle is several bursts: a refresh that begins inside its transfer
        // takes its tRFC out of the middle, and the rest waits for the row to open again.
        if (refreshInterval_) {
            const double next = static_cast<double>((epoch + 1) * refreshInterval_);
            if (issue < next && next < end) {
                const double gap = static_cast<double>(refreshCycles_ + missPenalty_);
                refreshStall_ += static_cast<double>(refreshCycles_);
                end += gap;
                done += gap;
                ++epoch;
                ++rowMisses_;
            }
        }
        bank.openRow = row;
        bank.epoch = epoch;
        busFree_ = end;
        bank.lastEnd = end;
        const uint64_t tail = (head_ + count_) % depth_;
        queue_[tail] = {addr, static_cast<uint64_t>(std::ceil(done)) + latency_};
        ++count_;
        ++commands_;
    }

    template <typename Emit>
    void statsLines(const std::string& tag, Emit emit) {
        const uint64_t refreshes = refreshInterval_ ? now_ / refreshInterval_ : 0;
        const std::pair<const char*, uint64_t> rows[] = {
            {"cycles", now_},
            {"commands", commands_},
            {"beats", beats_},
            {"outstanding", count_},
            {"cmdWaitCycles", cmdWait_},
            {"dataWaitCycles", dataWait_},
            {"rowMisses", rowMisses_},
            {"refreshes", refreshes},
            {"refreshStallCycles", static_cast<uint64_t>(std::llround(refreshStall_))},
        };
        char buf[32];
        for (const auto& r : rows) {
            snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(r.second));
            emit("G " + tag + "." + r.first + " " + buf);
        }
    }

    static int findPort(const std::string& name) {
        for (int i = 0; i < kNumPorts; ++i)
            if (name == kPorts[i].name) return i;
        return -1;
    }

    std::string port(const std::string& key, const std::string& name, bool isInput, int width, int& idx) {
        if (name.empty()) return "D config: missing " + key;
        idx = findPort(name);
        if (idx < 0) return "D config: " + key + " port '" + name + "' is not a port of the design";
        const PortInfo& p = kPorts[idx];
        if (p.isInput != isInput)
            return "D config: " + key + " port '" + name + "' must be an " + (isInput ? "input" : "output");
        if (width > 0 && p.width != width)
            return "D config: " + key + " port '" + name + "' must be " + std::to_string(width) + " bit wide, is " +
                   std::to_string(p.width);
        return "";
    }

    static bool parseU64(const std::string& s, uint64_t& out) {
        if (s.empty() || s[0] == '-') return false;
        char* end = nullptr;
        errno = 0;
        out = std::strtoull(s.c_str(), &end, 10);
        return *end == '\0' && errno == 0;
    }

    std::string configure(char* p, HarnessTop* top) {
        std::string names[6];
        const char* portKeys[6] = {"cmd_valid", "cmd_ready", "cmd_addr", "rdata_valid", "rdata_ready", "rdata_data"};
        std::string bytesPerCycle = "inf";
        uint64_t latency = 1, rowBytes = 0, banks = 1, missPenalty = 0, refreshInterval = 0, refreshCycles = 0;
        uint64_t depth = 16, seed = 1;
        double backPressure = 0;
        while (*(p = skipSpace(p))) {
            char* start = p;
            while (*p && !isSpace(*p)) ++p;
            const std::string kv(start, p - start);
            const size_t eq = kv.find('=');
            if (eq == std::string::npos || eq == 0) return "D config: expected key=value, got '" + kv + "'";
            const std::string key = kv.substr(0, eq), val = kv.substr(eq + 1);
            bool known = false;
            for (int i = 0; i < 6; ++i)
                if (key == portKeys[i]) {
                    names[i] = val;
                    known = true;
                }
            if (known) continue;
            if (key == "bytes_per_cycle") {
                bytesPerCycle = val;
                continue;
            }
            if (key == "backpressure") {
                char* end = nullptr;
                backPressure = std::strtod(val.c_str(), &end);
                if (val.empty() || *end || !(backPressure >= 0 && backPressure < 1))
                    return "D config: backpressure must be a probability in [0, 1), got '" + val + "'";
                continue;
            }
            uint64_t* target = key == "latency"            ? &latency
                               : key == "row_bytes"        ? &rowBytes
                               : key == "banks"            ? &banks
                               : key == "miss_penalty"     ? &missPenalty
                               : key == "refresh_interval" ? &refreshInterval
                               : key == "refresh_cycles"   ? &refreshCycles
                               : key == "queue_depth"      ? &depth
                               : key == "seed"             ? &seed
                                                           : nullptr;
            if (!target) return "D config: unknown key '" + key + "'";
            if (!parseU64(val, *target)) return "D config: " + key + " must be a non-negative integer, got '" + val + "'";
        }
        if (kClockIndex < 0) return "D config: the design has no clock; the DRAM model needs one";
        int idx[6];
        const bool inputs[6] = {false, true, false, true, false, true};
        const int widths[6] = {1, 1, 0, 1, 1, 0};
        for (int i = 0; i < 6; ++i) {
            const std::string e = port(portKeys[i], names[i], inputs[i], widths[i], idx[i]);
            if (!e.empty()) return e;
        }
        const int dataWidth = kPorts[idx[5]].width;
        if (dataWidth % 8) return "D config: rdata_data is " + std::to_string(dataWidth) + " bit, not whole bytes";
        if (kPorts[idx[2]].width > 64) return "D config: cmd_addr is wider than 64 bit";
        const uint64_t wordBytes = static_cast<uint64_t>(dataWidth / 8);
        double peak;
        if (bytesPerCycle == "inf") {
            peak = static_cast<double>(wordBytes);
        } else {
            char* end = nullptr;
            peak = std::strtod(bytesPerCycle.c_str(), &end);
            if (bytesPerCycle.empty() || *end || !(peak > 0) || !std::isfinite(peak))
                return "D config: bytes_per_cycle must be a positive number or inf, got '" + bytesPerCycle + "'";
            peak = std::min(peak, static_cast<double>(wordBytes));
        }
        if (latency < 1 || latency > (1u << 20)) return "D config: latency must be 1 .. 1048576 cycles";
        if (rowBytes % wordBytes) return "D config: row_bytes " + std::to_string(rowBytes) + " is not a whole number of " + std::to_string(wordBytes) + "-byte words";
        if (banks < 1 || banks > 1024) return "D config: banks must be 1 .. 1024";
        if (depth < 1 || depth > (1u << 20)) return "D config: queue_depth must be 1 .. 1048576";
        if (missPenalty > (1u << 20)) return "D config: miss_penalty must be at most 1048576 cycles";
        if (refreshInterval && refreshCycles >= refreshInterval)
            return "D config: refresh_cycles must be below refresh_interval";
        if (!refreshInterval && refreshCycles) return "D config: refresh_cycles without refresh_interval";

        cmdValid_ = idx[0], cmdReady_ = idx[1], cmdAddr_ = idx[2];
        rValid_ = idx[3], rReady_ = idx[4], rData_ = idx[5];
        wordBytes_ = wordBytes;
        peak_ = peak;
        beatTime_ = static_cast<double>(wordBytes) / peak;
        latency_ = latency, rowBytes_ = rowBytes, banks_ = banks, missPenalty_ = missPenalty;
        refreshInterval_ = refreshInterval, refreshCycles_ = refreshCycles, depth_ = depth;
        backPressure_ = backPressure;
        rng_ = seed;
        queue_.assign(depth, Entry{0, 0});
        head_ = count_ = headSeq_ = 0;
        shownSeq_ = ~0ull;
        bankState_.assign(banks, Bank{});
        busFree_ = 0;
        now_ = 0;
        commands_ = beats_ = cmdWait_ = dataWait_ = rowMisses_ = 0;
        refreshStall_ = 0;
        bytes_.assign(((dataWidth + 31) / 32) * 4, 0);
        words_.assign((dataWidth + 31) / 32, 0);
        scratch_.assign(kMaxWords + 2, 0);
        active_ = true;
        // Inputs start low: nothing accepted or returned before the first cycle is driven.
        one_[0] = 0;
        portSet(top, cmdReady_, one_);
        portSet(top, rValid_, one_);
        return "";
    }

    std::string mapImage(char* p) {
        char* start = p;
        while (*p && !isSpace(*p)) ++p;
        uint64_t offset = 0;
        if (!parseU64(std::string(start, p - start), offset)) return "D image: expected <byteOffset> <path>";
        const std::string path = trimmed(p);
        if (path.empty()) return "D image: missing path";
        const int fd = open(path.c_str(), O_RDONLY);
        if (fd < 0) return "D image: cannot open " + path + ": " + std::strerror(errno);
        struct stat st;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return "D image: " + path + " is not a regular file";
        }
        const uint64_t size = static_cast<uint64_t>(st.st_size);
        if (offset > UINT64_MAX - size) {
            close(fd);
            return "D image: " + path + " at offset " + std::to_string(offset) + " runs past the address space";
        }
        const uint8_t* data = nullptr;
        if (size > 0) {
            // Mapped, not read: a few hundred MB of weights cost nothing until a word is fetched.
            void* m = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (m == MAP_FAILED) {
                close(fd);
                return "D image: cannot map " + path + ": " + std::strerror(errno);
            }
            data = static_cast<const uint8_t*>(m);
        }
        close(fd);
        images_.push_back({offset, size, data});
        shownSeq_ = ~0ull;  // the word on the bus may have changed
        return "";
    }

    void unmapAll() {
        for (const Image& im : images_)
            if (im.size) munmap(const_cast<uint8_t*>(im.data), im.size);
        images_.clear();
        shownSeq_ = ~0ull;
    }
};
