#include "harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <tuple>

namespace kiln::bench {

int repeats = 7;

double seconds_of(const std::function<void()>& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

std::pair<double, double> alternating_sample_medians(int rounds, const std::function<double()>& kiln_sample,
                                                     const std::function<double()>& baseline_sample) {
    std::vector<double> kiln_times, baseline_times;
    for (int round = 0; round < rounds; ++round) {
        if (round % 2 == 0) kiln_times.push_back(kiln_sample());
        baseline_times.push_back(baseline_sample());
        if (round % 2 == 1) kiln_times.push_back(kiln_sample());
    }
    return {median(kiln_times), median(baseline_times)};
}

std::pair<double, double> alternating_medians(int rounds, const std::function<void()>& kiln_work,
                                              const std::function<void()>& baseline_work) {
    return alternating_sample_medians(
        rounds, [&] { return seconds_of(kiln_work); }, [&] { return seconds_of(baseline_work); });
}

void time_both(Result& r, const std::function<void()>& kiln_work, const std::function<void()>& baseline_work) {
    std::tie(r.kiln_s, r.baseline_s) = alternating_medians(repeats, kiln_work, baseline_work);
}

std::string duration_text(double seconds) {
    const char* units[] = {"s", "ms", "us", "ns"};
    int unit = 0;
    while (unit < 3 && seconds != 0 && seconds < 1) {
        seconds *= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.4g %s", seconds, units[unit]);
    return text;
}

void print_result(const Result& r, bool json) {
    const double ratio = r.kiln_s > 0 ? r.baseline_s / r.kiln_s : 0;
    if (json) {
        std::printf("{\"name\": \"%s\", \"kiln_s\": %.9g, \"baseline\": \"%s\", \"baseline_s\": %.9g, \"ratio\": %.4g",
                    r.name.c_str(), r.kiln_s, r.baseline.c_str(), r.baseline_s, ratio);
        if (r.gbps > 0) std::printf(", \"gbps\": %.4g", r.gbps);
        std::printf(", \"note\": \"%s\"}\n", r.note.c_str());
    } else {
        std::printf("%-44s kiln %11s  baseline %11s  ratio %6.3f", r.name.c_str(), duration_text(r.kiln_s).c_str(),
                    duration_text(r.baseline_s).c_str(), ratio);
        if (r.gbps > 0) std::printf("  %.1f GB/s", r.gbps);
        std::printf("\n    baseline: %s; %s\n", r.baseline.c_str(), r.note.c_str());
    }
    std::fflush(stdout);
}

} // namespace kiln::bench
