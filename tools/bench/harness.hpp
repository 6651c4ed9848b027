// What every kiln-bench workload shares: its result, and timing kiln's
// work against a baseline's in alternating rounds.
#pragma once

#include <cstddef>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace kiln::bench {

struct Result {
    std::string name;
    double kiln_s = 0;
    std::string baseline;
    double baseline_s = 0;
    double gbps = 0; // kiln's, where it applies
    std::string note;
};

/// Rounds each timing takes (--repeat).
extern int repeats;

double seconds_of(const std::function<void()>& f);
double median(std::vector<double> values);
/// Medians of the seconds `kiln_sample` and `baseline_sample` report over
/// `rounds` rounds that alternate which of the two goes first.
std::pair<double, double> alternating_sample_medians(int rounds, const std::function<double()>& kiln_sample,
                                                     const std::function<double()>& baseline_sample);
/// Median times of kiln's and the baseline's work over `rounds` rounds that
/// alternate which side goes first, so neither always runs right after the
/// other's work (thread pools still awake, caches holding its data).
std::pair<double, double> alternating_medians(int rounds, const std::function<void()>& kiln_work,
                                              const std::function<void()>& baseline_work);
/// Sets r's two times: medians of `repeats` alternating rounds.
void time_both(Result& r, const std::function<void()>& kiln_work, const std::function<void()>& baseline_work);

template <class T> std::vector<T> random_values(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> d(-2, 2);
    std::vector<T> v(n);
    for (T& x : v) x = static_cast<T>(d(rng));
    return v;
}

/// Seconds in the unit that suits them: "13.4 ms", "131 ns".
std::string duration_text(double seconds);
/// One result as a line of JSON or as text.
void print_result(const Result& r, bool json);

} // namespace kiln::bench
