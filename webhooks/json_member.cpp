#include "webhooks/json_member.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace bb::webhooks {

using nlohmann::json;

const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) { return nullptr; }
  const auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const json* objectMember(const json& obj, const char* key) {
  const json* m = member(obj, key);
  return m != nullptr && m->is_object() ? m : nullptr;
}

const json* arrayMember(const json& obj, const char* key) {
  const json* m = member(obj, key);
  return m != nullptr && m->is_array() ? m : nullptr;
}

std::string stringMember(const json& obj, const char* key) {
  const json* m = member(obj, key);
  return m != nullptr && m->is_string() ? m->get<std::string>() : std::string();
}

std::optional<std::int64_t> int64Member(const json& obj, const char* key) {
  const json* m = member(obj, key);
  if (m == nullptr) { return std::nullopt; }
  if (m->is_number_unsigned()) {
    const auto u = m->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) { return std::nullopt; }
    return static_cast<std::int64_t>(u);
  }
  if (m->is_number_integer()) { return m->get<std::int64_t>(); }
  return std::nullopt;
}

std::optional<double> numberMember(const json& obj, const char* key) {
  const json* m = member(obj, key);
  if (m == nullptr || !m->is_number()) { return std::nullopt; }
  const double v = m->get<double>();
  if (!std::isfinite(v)) { return std::nullopt; }
  return v;
}

bool isTrue(const json& obj, const char* key) {
  const json* m = member(obj, key);
  return m != nullptr && m->is_boolean() && m->get<bool>();
}

}  // namespace bb::webhooks
