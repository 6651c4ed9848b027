// The tutorial's "Shared Variables": an accumulator and a decrementor that
// share one state.
#include <kiln/kiln.hpp>

#include <iostream>

int main() {
    using namespace kiln;

    SharedVar state = shared(0);
    Var inc = iscalar("inc");
    Function accumulator = compile({inc}, state, {.updates = {{state, state + inc}}});

    std::cout << state.get_value().str() << "\n";
    std::cout << accumulator(1) << "\n";
    std::cout << state.get_value().str() << "\n";
    std::cout << accumulator(300) << "\n";
    std::cout << state.get_value().str() << "\n";

    state.set_value(-1);
    std::cout << accumulator(3) << "\n";
    std::cout << state.get_value().str() << "\n";

    Function decrementor = compile({inc}, state, {.updates = {{state, state - inc}}});
    std::cout << decrementor(2) << "\n";
    std::cout << state.get_value().str() << "\n";
}
