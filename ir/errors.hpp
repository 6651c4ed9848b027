// kiln's exception families. User errors name the API that refused and the
// culprit (input, shape, dtype); internal errors name the broken invariant.
#pragma once

#include <stdexcept>
#include <string>

namespace kiln {

/// Base of every exception kiln throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A value or variable of the wrong type, dtype or rank (Theano's TypeError).
class TypeError : public Error {
public:
    using Error::Error;
};

/// A value of the right type but an unusable content or shape (ValueError).
class ValueError : public Error {
public:
    using Error::Error;
};

/// An index outside its axis (IndexError).
class IndexError : public Error {
public:
    using Error::Error;
};

/// Text that kiln could not parse (the expression syntax, the graph text
/// format, a value literal): where, 1-based, and what was expected.
class SyntaxError : public Error {
public:
    /// what() is "line L, column C: message", then the offending line (or
    /// an excerpt of it) and a caret under character caret_column of it
    /// (1-based; column when 0).
    SyntaxError(int line, int column, const std::string& message, const std::string& source_line,
                int caret_column = 0);
    /// `error` with `context` appended to its text, at the same place.
    SyntaxError(const SyntaxError& error, const std::string& context);
    int line() const { return line_; }
    int column() const { return column_; }

private:
    int line_;
    int column_;
};

/// compile() was given an input that no output depends on.
class UnusedInputError : public Error {
public:
    using Error::Error;
};

/// compile() found a graph input that is neither an input, a shared variable
/// nor a constant.
class MissingInputError : public Error {
public:
    using Error::Error;
};

/// grad() was asked for the gradient with respect to a variable the cost
/// does not depend on.
class DisconnectedInputError : public ValueError {
public:
    using ValueError::ValueError;
};

/// verify_grad() found a symbolic gradient that disagrees with finite
/// differences.
class GradientError : public Error {
public:
    using Error::Error;
};

/// An allocation the machine cannot satisfy (Python's MemoryError): the
/// text names what was asked for (dtype, shape, bytes).
class MemoryError : public Error {
public:
    using Error::Error;
};

/// A broken internal invariant: a bug in kiln, never the user's doing.
class InternalError : public Error {
public:
    using Error::Error;
};

/// Throws `error` again with `context` appended to its text, as the same
/// class, so that callers catching a family still catch it.
[[noreturn]] void rethrow_with_context(const Error& error, const std::string& context);

[[noreturn]] void fail_internal_check(const char* file, int line, const char* condition,
                                      const std::string& detail);

} // namespace kiln

/// Checks an internal invariant; on failure throws InternalError with the file,
/// line, condition and the detail text (the IR involved, when there is one).
#define KILN_CHECK(condition, detail)                                                  \
    do {                                                                               \
        if (!(condition)) ::kiln::fail_internal_check(__FILE__, __LINE__, #condition, (detail)); \
    } while (false)
