#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/LfvNsi.hpp"
#include "portalscan/physics/Model.hpp"

namespace portalscan::physics {

const ModelRegistry& ModelRegistry::builtin() {
  static const ModelRegistry registry = [] {
    ModelRegistry r;
    r.add({std::string(HiddenKevFermion::kName),
           "Chang & Ng: keV fermion chi from a U(1)_s hidden sector (seesaw, kinetic-mixing and "
           "Higgs portals)",
           HiddenKevFermion::optionSpecifications(), &HiddenKevFermion::create});
    r.add({std::string(LfvNsi::kName),
           "Farzan: light Z' with lepton-flavour-violating neutrino couplings from an inverse "
           "seesaw (NSI)",
           LfvNsi::optionSpecifications(), &LfvNsi::create});
    return r;
  }();
  return registry;
}

}  // namespace portalscan::physics
