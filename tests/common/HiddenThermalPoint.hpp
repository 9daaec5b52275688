#pragma once
/// The default point of hidden_kev_fermion before chi freeze-in was modelled (epsilon = 0.1,
/// f_L = f_R = 0.01, M_chi = 10 keV): a thermal chi relic, the reference point of the
/// freeze-out tests (errata E1-E11). The model's default is now a frozen-in chi
/// (docs/physics/hidden_kev_fermion.md, "chi production").

#include "portalscan/physics/HiddenKevFermion.hpp"

#include <vector>

namespace portalscan::test {

inline std::vector<double> hiddenThermalChiPoint(const physics::Model& model) {
  using P = physics::HiddenKevFermion::Parameter;
  std::vector<double> p = model.defaultParameterValues();
  p[P::epsilon] = 0.1;
  p[P::f_L] = p[P::f_R] = 0.01;
  p[P::M_chi] = 1e-5;
  return p;
}

}  // namespace portalscan::test
