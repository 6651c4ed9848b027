// The examples' command lines: --name VALUE (or --name=VALUE) options with
// defaults, and --help.
#pragma once

#include <cstdint>
#include <iostream>
#include <string>
#include <variant>
#include <vector>

namespace kiln::examples {

class CommandLine {
public:
    /// summary: what the program does, the first line of --help.
    CommandLine(std::string program, std::string summary);

    /// Each option writes into target, which holds its default until parse().
    CommandLine& option(const std::string& name, std::int64_t& target, const std::string& help);
    CommandLine& option(const std::string& name, int& target, const std::string& help);
    CommandLine& option(const std::string& name, double& target, const std::string& help);
    CommandLine& option(const std::string& name, std::string& target, const std::string& help);

    /// Returns true when the program should go on: false after printing
    /// --help. Throws ValueError naming an unknown option, a missing value or
    /// a value that does not parse.
    bool parse(int argc, char** argv, std::ostream& help_out = std::cout) const;

    std::string help() const;

private:
    struct Entry {
        std::string name, help, default_value;
        std::variant<std::int64_t*, int*, double*, std::string*> target;
    };
    std::string program_, summary_;
    std::vector<Entry> entries_;
};

} // namespace kiln::examples
