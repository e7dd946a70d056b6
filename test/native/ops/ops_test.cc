// sdn_ops_test — runs the op cases (op_cases.cc) and checks (op_checks.cc) on every instruction-set
// path this CPU has and prints one JSON line per result; exits 1 when anything failed.
//
//   sdn_ops_test                      every case and check, every path, 2 threads
//   sdn_ops_test --list               {"ops": [...], "isas": [...]} and nothing else
//   sdn_ops_test --op gemm --isa avx2 one op family, one path (both may repeat)
//   sdn_ops_test --threads 1
//
// Built by binding.gyp (target sdn_ops_test) next to the addon; test/native/ops/ops.test.ts runs it
// in `npm test` (and on the sanitized build in `npm run test:asan`).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <set>
#include <string>
#include <vector>

#include "core/cpu.h"
#include "core/threads.h"
#include "op_test.h"
#include "ops/testing.h"

using namespace sdn;
using namespace sdn::optest;

namespace {

std::string json_string(const std::string & s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string json_number(double v) {
    if (std::isnan(v) || std::isinf(v)) return "null"; // JSON has neither: the line's "ok" says it failed
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

// A path the program forces: an instruction-set path, and on avx512 with AMX a second pass whose bf16
// products take the tiles ("avx512-amx"; the avx512 pass runs them on vdpbf16ps).
struct Path {
    Isa isa;
    bool amx;
    std::string name;
};

std::vector<Path> available_paths() {
    std::vector<Path> out;
    for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512})
        if (isa <= cpu_isa_supported()) out.push_back({isa, false, isa_name(isa)});
    if (cpu_features().amx_bf16) out.push_back({Isa::Avx512, true, "avx512-amx"});
    return out;
}

} // namespace

int main(int argc, char ** argv) {
    std::set<std::string> only_ops, only_isas;
    int threads = 2;
    bool list = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--list") list = true;
        else if (a == "--op" && i + 1 < argc) only_ops.insert(argv[++i]);
        else if (a == "--isa" && i + 1 < argc) only_isas.insert(argv[++i]);
        else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
        else {
            std::fprintf(stderr, "usage: sdn_ops_test [--list] [--op NAME]... [--isa portable|avx2|avx512|avx512-amx]... [--threads N]\n");
            return 2;
        }
    }
    threads_set(threads);
    const Isa supported = cpu_isa_supported();
    // The cap LATENTFLOW_ISA may have set is ignored here: the program forces every path itself.
    testing::isa_cap_set(Isa::Avx512);

    CaseList cases = op_cases();
    std::vector<Check> checks = op_checks();
    if (list) {
        std::set<std::string> ops;
        for (const auto & c : cases) ops.insert(c->op());
        for (const auto & c : checks) ops.insert(c.op);
        std::string line = "{\"ops\": [";
        bool first = true;
        for (const auto & op : ops) line += (first ? "" : ", ") + json_string(op), first = false;
        line += "], \"isas\": [";
        first = true;
        for (const Path & path : available_paths()) line += (first ? "" : ", ") + json_string(path.name), first = false;
        std::printf("%s], \"bf16\": %s}\n", line.c_str(), cpu_features().avx512_bf16 ? "true" : "false");
        return 0;
    }

    int failed = 0, total = 0;
    const auto started = std::chrono::steady_clock::now();
    for (auto & c : cases) {
        if (!only_ops.empty() && !only_ops.count(c->op())) continue;
        bool prepared = false;
        for (const Path & path : available_paths()) {
            const Isa isa = path.isa;
            if (!only_isas.empty() && !only_isas.count(path.name)) continue;
            if (c->needs_bf16() && !(isa == Isa::Avx512 && cpu_features().avx512_bf16)) continue;
            testing::IsaScope scope(isa);
            testing::AmxScope amx(path.amx);
            std::string error_text;
            double error = INFINITY;
            try {
                if (!prepared) {
                    testing::IsaScope spec(supported); // the reference's own helpers (if any) on the fastest path
                    c->reference();
                    prepared = true;
                }
                error = c->run();
            } catch (const std::exception & e) {
                error_text = e.what();
            }
            const bool ok = error_text.empty() && error <= c->tolerance();
            ++total;
            failed += !ok;
            std::printf("{\"kind\": \"case\", \"op\": %s, \"params\": %s, \"isa\": \"%s\", \"error\": %s, \"tolerance\": %s, \"ok\": %s%s}\n",
                        json_string(c->op()).c_str(), json_string(c->params()).c_str(), path.name.c_str(), json_number(error).c_str(),
                        json_number(c->tolerance()).c_str(), ok ? "true" : "false",
                        error_text.empty() ? "" : (", \"message\": " + json_string(error_text)).c_str());
            std::fflush(stdout);
        }
    }
    for (auto & c : checks) {
        if (!only_ops.empty() && !only_ops.count(c.op)) continue;
        for (const Path & path : available_paths()) {
            if (!only_isas.empty() && !only_isas.count(path.name)) continue;
            testing::IsaScope scope(path.isa);
            testing::AmxScope amx(path.amx);
            Failures f;
            try {
                c.run(f);
            } catch (const std::exception & e) {
                f.messages.push_back(std::string("threw: ") + e.what());
            }
            std::string message;
            for (const auto & m : f.messages) message += (message.empty() ? "" : "; ") + m;
            ++total;
            failed += !f.messages.empty();
            std::printf("{\"kind\": \"check\", \"op\": %s, \"params\": %s, \"isa\": \"%s\", \"ok\": %s%s}\n", json_string(c.op).c_str(),
                        json_string(c.name).c_str(), path.name.c_str(), f.messages.empty() ? "true" : "false",
                        message.empty() ? "" : (", \"message\": " + json_string(message)).c_str());
            std::fflush(stdout);
        }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "sdn_ops_test: %d of %d passed in %.1f s (paths up to %s)\n", total - failed, total, seconds, isa_name(supported));
    return failed ? 1 : 0;
}
