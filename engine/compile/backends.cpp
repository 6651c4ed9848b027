#include "backends.hpp"

#include "../../jit/cpu/cpu_backend.hpp"

namespace kiln {

jit::Backend& backend_for(Device device) {
    switch (device) {
    case Device::cpu: break;
    }
    return jit::CpuBackend::instance();
}

} // namespace kiln
