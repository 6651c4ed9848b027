#include "ir/errors.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace kiln;

namespace {

// What rethrow_with_context throws for `error`, caught as `Expected`.
template <class Expected, class Thrown> std::string rethrown_as(const Thrown& error) {
    try {
        rethrow_with_context(error, " (context)");
    } catch (const Expected& caught) {
        return caught.what();
    } catch (...) {
        return "caught as another class";
    }
    return "nothing thrown";
}

} // namespace

TEST_CASE("rethrow_with_context appends its text and keeps the error's class") {
    CHECK(rethrown_as<TypeError>(TypeError("bad dtype")) == "bad dtype (context)");
    CHECK(rethrown_as<ValueError>(ValueError("bad shape")) == "bad shape (context)");
    CHECK(rethrown_as<IndexError>(IndexError("index 3")) == "index 3 (context)");
    CHECK(rethrown_as<UnusedInputError>(UnusedInputError("unused")) == "unused (context)");
    CHECK(rethrown_as<MissingInputError>(MissingInputError("missing")) == "missing (context)");
    CHECK(rethrown_as<GradientError>(GradientError("far off")) == "far off (context)");
    CHECK(rethrown_as<InternalError>(InternalError("broken")) == "broken (context)");
    CHECK(rethrown_as<Error>(Error("plain")) == "plain (context)");
    // The most derived class, not its base.
    CHECK(rethrown_as<DisconnectedInputError>(DisconnectedInputError("disconnected")) == "disconnected (context)");
    // A syntax error keeps its place too.
    try {
        rethrow_with_context(SyntaxError(2, 5, "expected ')'", ""), " (context)");
        FAIL("nothing thrown");
    } catch (const SyntaxError& error) {
        CHECK(error.line() == 2);
        CHECK(error.column() == 5);
        CHECK(std::string(error.what()) == "line 2, column 5: expected ')' (context)");
    }
}
