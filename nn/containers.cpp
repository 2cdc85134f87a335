#include "nn/containers.hpp"

#include <stdexcept>

namespace xg::nn {

// ---- ModuleList ------------------------------------------------------------------------

void ModuleList::push_back(std::shared_ptr<Module> module) {
  if (!module) throw std::invalid_argument("ModuleList: cannot append a null module (at index " +
                                           std::to_string(modules_.size()) + ")");
  add_child(std::to_string(modules_.size()), module);
  modules_.push_back(std::move(module));
}

void ModuleList::extend(const std::vector<std::shared_ptr<Module>>& modules) {
  for (const auto& m : modules) push_back(m);
}

const std::shared_ptr<Module>& ModuleList::operator[](std::size_t i) const {
  if (i >= modules_.size())
    throw std::out_of_range("ModuleList: index " + std::to_string(i) + " is out of range for a list of " +
                            std::to_string(modules_.size()) + " modules");
  return modules_[i];
}

// ---- ModuleDict ------------------------------------------------------------------------

ModuleDict::ModuleDict(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules)
    : Module("ModuleDict") {
  update(modules);
}

void ModuleDict::insert(const std::string& key, std::shared_ptr<Module> module) {
  if (!module) throw std::invalid_argument("ModuleDict: module '" + key + "' is null");
  add_child(key, module);  // checks the key
  items_.emplace_back(key, std::move(module));
}

void ModuleDict::update(const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& modules) {
  for (const auto& [key, module] : modules) insert(key, module);
}

const std::shared_ptr<Module>& ModuleDict::operator[](const std::string& key) const {
  for (const auto& item : items_)
    if (item.first == key) return item.second;
  std::string known;
  for (const auto& item : items_) known += (known.empty() ? "" : ", ") + item.first;
  throw std::out_of_range("ModuleDict: no module '" + key + "' (keys: " + (known.empty() ? "none" : known) + ")");
}

bool ModuleDict::contains(const std::string& key) const {
  for (const auto& item : items_)
    if (item.first == key) return true;
  return false;
}

std::vector<std::string> ModuleDict::keys() const {
  std::vector<std::string> out;
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

std::vector<std::shared_ptr<Module>> ModuleDict::values() const {
  std::vector<std::shared_ptr<Module>> out;
  for (const auto& item : items_) out.push_back(item.second);
  return out;
}

// ---- ParameterList ---------------------------------------------------------------------

ParameterList::ParameterList(const std::vector<Tensor>& parameters) : Module("ParameterList") { extend(parameters); }

Tensor ParameterList::append(Tensor parameter) {
  Tensor stored = register_parameter(std::to_string(parameters_.size()), std::move(parameter));
  parameters_.push_back(stored);
  return stored;
}

void ParameterList::extend(const std::vector<Tensor>& parameters) {
  for (const Tensor& p : parameters) append(p);
}

const Tensor& ParameterList::operator[](std::size_t i) const {
  if (i >= parameters_.size())
    throw std::out_of_range("ParameterList: index " + std::to_string(i) + " is out of range for a list of " +
                            std::to_string(parameters_.size()) + " parameters");
  return parameters_[i];
}

}  // namespace xg::nn
