#include "command_line.hpp"

#include <kiln/kiln.hpp>

#include <sstream>

namespace kiln::examples {

namespace {

template <class T> T parsed(const std::string& name, const std::string& text) {
    std::istringstream in(text);
    T value{};
    in >> value;
    if (in.fail() || !in.eof()) throw ValueError("option --" + name + ": cannot read '" + text + "' as a number");
    return value;
}

template <class T> std::string text_of(const T& value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

} // namespace

CommandLine::CommandLine(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

CommandLine& CommandLine::option(const std::string& name, std::int64_t& target, const std::string& help) {
    entries_.push_back({name, help, text_of(target), &target});
    return *this;
}
CommandLine& CommandLine::option(const std::string& name, int& target, const std::string& help) {
    entries_.push_back({name, help, text_of(target), &target});
    return *this;
}
CommandLine& CommandLine::option(const std::string& name, double& target, const std::string& help) {
    entries_.push_back({name, help, text_of(target), &target});
    return *this;
}
CommandLine& CommandLine::option(const std::string& name, std::string& target, const std::string& help) {
    entries_.push_back({name, help, text_of(target), &target});
    return *this;
}

std::string CommandLine::help() const {
    std::ostringstream out;
    out << summary_ << "\n\nusage: " << program_ << " [options]\n\noptions:\n";
    for (const Entry& e : entries_) {
        std::string left = "  --" + e.name + " VALUE";
        left.resize(std::max<std::size_t>(left.size() + 2, 22), ' ');
        out << left << e.help << " (default: " << e.default_value << ")\n";
    }
    out << "  --help              print this and exit\n";
    return out.str();
}

bool CommandLine::parse(int argc, char** argv, std::ostream& help_out) const {
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            help_out << help();
            return false;
        }
        if (arg.rfind("--", 0) != 0) throw ValueError("unexpected argument '" + arg + "' (see --help)");
        std::string name = arg.substr(2), value;
        bool has_value = false;
        if (const std::size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
            has_value = true;
        }
        const Entry* entry = nullptr;
        for (const Entry& e : entries_)
            if (e.name == name) entry = &e;
        if (!entry) throw ValueError("unknown option --" + name + " (see --help)");
        if (!has_value) {
            if (i + 1 >= argc) throw ValueError("option --" + name + " needs a value");
            value = argv[++i];
        }
        std::visit(
            [&](auto* target) {
                using T = std::remove_pointer_t<decltype(target)>;
                if constexpr (std::is_same_v<T, std::string>) *target = value;
                else *target = parsed<T>(name, value);
            },
            entry->target);
    }
    return true;
}

} // namespace kiln::examples
