// A host program built outside the tree against the installed kiln.
#include <kiln/kiln.hpp>

#include <iostream>

int main() {
    auto [x, y] = kiln::dscalars("x", "y");
    kiln::Var z = x + y;
    std::cout << kiln::pp(z) << "\n" << kiln::compile({x, y}, z)(2, 3) << "\n";
}
