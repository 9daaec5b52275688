#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/Model.hpp"

namespace portalscan::physics {

const ModelRegistry& ModelRegistry::builtin() {
  static const ModelRegistry registry = [] {
    ModelRegistry r;
    r.add({std::string(HiddenKevFermion::kName),
           "Chang & Ng: keV fermion chi from a U(1)_s hidden sector (seesaw, kinetic-mixing and "
           "Higgs portals)",
           HiddenKevFermion::optionSpecifications(), &HiddenKevFermion::create});
    return r;
  }();
  return registry;
}

}  // namespace portalscan::physics
