#include "learning_curve.hpp"

#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace kiln::examples {

namespace {

std::ofstream open_for_writing(const std::string& path) {
    std::ofstream out(path);
    if (!out) throw ValueError("cannot open " + path + " for writing");
    return out;
}

void finish(std::ofstream& out, const std::string& path) {
    out.flush();
    if (!out) throw ValueError("writing " + path + " failed");
}

std::string xml_escaped(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default: out += c;
        }
    }
    return out;
}

// A round step giving about `count` ticks over [0, top]: 1, 2 or 5 times a power of ten.
double tick_step(double top, int count) {
    const double raw = top / count;
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double multiple : {1.0, 2.0, 5.0})
        if (multiple * power >= raw) return multiple * power;
    return 10 * power;
}

std::string number(double value) {
    std::ostringstream text;
    text << std::setprecision(6) << value;
    return text.str();
}

// Epochs as a real number: epoch e, minibatch m of n -> e - 1 + m / n.
double epoch_position(const ValidationRecord& record, std::int64_t minibatches_per_validation_epoch) {
    return record.epoch - 1 + static_cast<double>(record.minibatch) / static_cast<double>(minibatches_per_validation_epoch);
}

} // namespace

void write_curve_csv(const std::string& path, const std::vector<ValidationRecord>& curve) {
    std::ofstream out = open_for_writing(path);
    out << "epoch,minibatch,validation_error,test_error,elapsed_s\n" << std::setprecision(8);
    for (const ValidationRecord& r : curve) {
        out << r.epoch << ',' << r.minibatch << ',' << r.validation_error << ',';
        if (!std::isnan(r.test_error)) out << r.test_error;
        out << ',' << r.elapsed_s << '\n';
    }
    finish(out, path);
}

void write_curve_svg(const std::string& path, const std::vector<ValidationRecord>& curve, const std::string& title) {
    const double width = 640, height = 400, left = 64, right = 24, top = 48, bottom = 56;
    const double plot_w = width - left - right, plot_h = height - top - bottom;

    std::int64_t per_epoch = 1;
    double max_error = 0;
    for (const ValidationRecord& r : curve) {
        per_epoch = std::max(per_epoch, r.minibatch);
        max_error = std::max(max_error, 100 * r.validation_error);
        if (!std::isnan(r.test_error)) max_error = std::max(max_error, 100 * r.test_error);
    }
    double max_epoch = 1;
    for (const ValidationRecord& r : curve) max_epoch = std::max(max_epoch, epoch_position(r, per_epoch));
    const double y_step = tick_step(max_error > 0 ? max_error : 1, 5);
    const double y_top = y_step * std::ceil((max_error > 0 ? max_error : 1) / y_step);
    const double x_step = std::max(1.0, tick_step(max_epoch, 8));
    const double x_right = x_step * std::ceil(max_epoch / x_step);
    const auto x_of = [&](double epoch) { return left + plot_w * epoch / x_right; };
    const auto y_of = [&](double percent) { return top + plot_h * (1 - percent / y_top); };

    std::ofstream out = open_for_writing(path);
    out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"" << width / 2 << "\" y=\"28\" text-anchor=\"middle\" font-size=\"15\">" << xml_escaped(title)
        << "</text>\n";
    // Grid lines and tick labels.
    for (double y = 0; y <= y_top + 1e-9; y += y_step)
        out << "<line x1=\"" << left << "\" x2=\"" << left + plot_w << "\" y1=\"" << y_of(y) << "\" y2=\"" << y_of(y)
            << "\" stroke=\"#ddd\"/><text x=\"" << left - 6 << "\" y=\"" << y_of(y) + 4
            << "\" text-anchor=\"end\">" << number(y) << "</text>\n";
    for (double x = 0; x <= x_right + 1e-9; x += x_step)
        out << "<line x1=\"" << x_of(x) << "\" x2=\"" << x_of(x) << "\" y1=\"" << top << "\" y2=\"" << top + plot_h
            << "\" stroke=\"#eee\"/><text x=\"" << x_of(x) << "\" y=\"" << top + plot_h + 16
            << "\" text-anchor=\"middle\">" << number(x) << "</text>\n";
    out << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plot_w << "\" height=\"" << plot_h
        << "\" fill=\"none\" stroke=\"black\"/>\n"
        << "<text x=\"" << left + plot_w / 2 << "\" y=\"" << height - 14 << "\" text-anchor=\"middle\">epoch</text>\n"
        << "<text transform=\"translate(18 " << top + plot_h / 2
        << ") rotate(-90)\" text-anchor=\"middle\">error (%)</text>\n";
    // The validation curve and the test errors.
    out << "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"";
    for (const ValidationRecord& r : curve) out << x_of(epoch_position(r, per_epoch)) << ',' << y_of(100 * r.validation_error) << ' ';
    out << "\"/>\n";
    for (const ValidationRecord& r : curve)
        if (!std::isnan(r.test_error))
            out << "<circle cx=\"" << x_of(epoch_position(r, per_epoch)) << "\" cy=\"" << y_of(100 * r.test_error)
                << "\" r=\"3\" fill=\"#d62728\"/>\n";
    // Legend, bottom right: the axis starts at zero and error curves sit
    // well above it, so that corner stays clear.
    const double lx = left + plot_w - 180, ly = top + plot_h - 38;
    out << "<rect x=\"" << lx - 8 << "\" y=\"" << ly - 12 << "\" width=\"182\" height=\"44\" fill=\"white\" "
        << "stroke=\"#ccc\"/>\n";
    out << "<line x1=\"" << lx << "\" x2=\"" << lx + 20 << "\" y1=\"" << ly << "\" y2=\"" << ly
        << "\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"" << lx + 26 << "\" y=\"" << ly + 4
        << "\">validation error</text>\n"
        << "<circle cx=\"" << lx + 10 << "\" cy=\"" << ly + 18 << "\" r=\"3\" fill=\"#d62728\"/><text x=\"" << lx + 26
        << "\" y=\"" << ly + 22 << "\">test error at a new best</text>\n"
        << "</svg>\n";
    finish(out, path);
}

} // namespace kiln::examples
