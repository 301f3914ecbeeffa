#include "tests/support/openapi_validator.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace bb::tests::openapi {

namespace {

using nlohmann::json;

constexpr int kMaxRefDepth = 64;

class Checker {
public:
  explicit Checker(const json& document) : document_(document) {}

  void check(const json& instance, const json& schema, const std::string& path, int depth,
             std::vector<std::string>& errors) const {
    if (depth > kMaxRefDepth) {
      errors.push_back(path + ": schema nesting too deep");
      return;
    }
    const json s = merged(schema, depth);
    if (s.is_boolean()) {
      if (!s.get<bool>()) { errors.push_back(path + ": no value allowed"); }
      return;
    }
    if (!s.is_object()) { return; }
    checkType(instance, s, path, errors);
    checkEnum(instance, s, path, errors);
    if (instance.is_string()) { checkString(instance, s, path, errors); }
    if (instance.is_number()) { checkNumber(instance, s, path, errors); }
    if (instance.is_object()) { checkObject(instance, s, path, depth, errors); }
    if (instance.is_array()) { checkArray(instance, s, path, depth, errors); }
    checkOneOf(instance, s, path, depth, errors);
    checkAnyOf(instance, s, path, depth, errors);
  }

private:
  const json& document_;

  const json& resolve(const std::string& ref) const {
    static const json kNull;
    if (ref.rfind("#", 0) != 0) { return kNull; }
    const json::json_pointer pointer(ref.substr(1));
    return document_.contains(pointer) ? document_.at(pointer) : kNull;
  }

  //! The schema with its $ref followed and its allOf branches merged into one object.
  json merged(const json& schema, int depth) const {
    if (!schema.is_object() || depth > kMaxRefDepth) { return schema; }
    if (const auto ref = schema.find("$ref"); ref != schema.end() && ref->is_string()) {
      const json& target = resolve(ref->get<std::string>());
      if (target.is_null()) { return json{{"x-unresolved", ref->get<std::string>()}}; }
      return merged(target, depth + 1);
    }
    const auto all = schema.find("allOf");
    if (all == schema.end() || !all->is_array()) { return schema; }
    json out = schema;
    out.erase("allOf");
    for (const json& branch : *all) {
      const json b = merged(branch, depth + 1);
      if (!b.is_object()) { continue; }
      for (const auto& [key, value] : b.items()) {
        if (key == "properties") {
          json& props = out["properties"];
          for (const auto& [name, prop] : value.items()) {
            if (props.contains(name)) {
              props[name] = json{{"allOf", json::array({props[name], prop})}};
            } else {
              props[name] = prop;
            }
          }
        } else if (key == "required") {
          json& req = out["required"];
          for (const json& name : value) {
            if (!req.is_array() || std::find(req.begin(), req.end(), name) == req.end()) {
              req.push_back(name);
            }
          }
        } else if (key == "additionalProperties") {
          if (value.is_boolean() && !value.get<bool>()) { out[key] = false; }
        } else if (!out.contains(key)) {
          out[key] = value;
        }
      }
    }
    return out;
  }

  static bool hasType(const json& instance, const std::string& type) {
    if (type == "object") { return instance.is_object(); }
    if (type == "array") { return instance.is_array(); }
    if (type == "string") { return instance.is_string(); }
    if (type == "boolean") { return instance.is_boolean(); }
    if (type == "integer") { return instance.is_number_integer(); }
    if (type == "number") { return instance.is_number(); }
    if (type == "null") { return instance.is_null(); }
    return false;
  }

  static void checkType(const json& instance, const json& s, const std::string& path,
                        std::vector<std::string>& errors) {
    if (const auto unresolved = s.find("x-unresolved"); unresolved != s.end()) {
      errors.push_back(path + ": unresolved $ref " + unresolved->get<std::string>());
    }
    const auto type = s.find("type");
    if (type == s.end()) { return; }
    bool ok = false;
    if (type->is_string()) {
      ok = hasType(instance, type->get<std::string>());
    } else if (type->is_array()) {
      for (const json& t : *type) { ok = ok || (t.is_string() && hasType(instance, t)); }
    }
    if (!ok) { errors.push_back(path + ": expected type " + type->dump()); }
  }

  static void checkEnum(const json& instance, const json& s, const std::string& path,
                        std::vector<std::string>& errors) {
    if (const auto e = s.find("enum"); e != s.end() && e->is_array()) {
      if (std::find(e->begin(), e->end(), instance) == e->end()) {
        errors.push_back(path + ": value not in enum " + e->dump());
      }
    }
    if (const auto c = s.find("const"); c != s.end() && *c != instance) {
      errors.push_back(path + ": value is not the const " + c->dump());
    }
  }

  static std::size_t codePoints(const std::string& utf8) {
    std::size_t n = 0;
    for (const char c : utf8) {
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) { ++n; }
    }
    return n;
  }

  static void checkString(const json& instance, const json& s, const std::string& path,
                          std::vector<std::string>& errors) {
    const std::size_t length = codePoints(instance.get<std::string>());
    if (const auto max = s.find("maxLength"); max != s.end() && max->is_number_unsigned()) {
      if (length > max->get<std::size_t>()) {
        errors.push_back(path + ": longer than maxLength " + max->dump());
      }
    }
    if (const auto min = s.find("minLength"); min != s.end() && min->is_number_unsigned()) {
      if (length < min->get<std::size_t>()) {
        errors.push_back(path + ": shorter than minLength " + min->dump());
      }
    }
  }

  static void checkNumber(const json& instance, const json& s, const std::string& path,
                          std::vector<std::string>& errors) {
    const double v = instance.get<double>();
    if (const auto max = s.find("maximum"); max != s.end() && max->is_number()) {
      if (v > max->get<double>()) { errors.push_back(path + ": above maximum"); }
    }
    if (const auto min = s.find("minimum"); min != s.end() && min->is_number()) {
      if (v < min->get<double>()) { errors.push_back(path + ": below minimum"); }
    }
  }

  void checkObject(const json& instance, const json& s, const std::string& path, int depth,
                   std::vector<std::string>& errors) const {
    if (const auto req = s.find("required"); req != s.end() && req->is_array()) {
      for (const json& name : *req) {
        if (name.is_string() && !instance.contains(name.get<std::string>())) {
          errors.push_back(path + ": missing required property " + name.get<std::string>());
        }
      }
    }
    const auto props = s.find("properties");
    const auto additional = s.find("additionalProperties");
    for (const auto& [name, value] : instance.items()) {
      const std::string child = path + "/" + name;
      if (props != s.end() && props->is_object() && props->contains(name)) {
        check(value, props->at(name), child, depth + 1, errors);
      } else if (additional != s.end()) {
        if (additional->is_boolean()) {
          if (!additional->get<bool>()) {
            errors.push_back(child + ": additional property not allowed");
          }
        } else {
          check(value, *additional, child, depth + 1, errors);
        }
      }
    }
  }

  void checkArray(const json& instance, const json& s, const std::string& path, int depth,
                  std::vector<std::string>& errors) const {
    if (const auto max = s.find("maxItems"); max != s.end() && max->is_number_unsigned()) {
      if (instance.size() > max->get<std::size_t>()) {
        errors.push_back(path + ": more than maxItems " + max->dump());
      }
    }
    if (const auto min = s.find("minItems"); min != s.end() && min->is_number_unsigned()) {
      if (instance.size() < min->get<std::size_t>()) {
        errors.push_back(path + ": fewer than minItems " + min->dump());
      }
    }
    if (const auto items = s.find("items"); items != s.end()) {
      for (std::size_t i = 0; i < instance.size(); ++i) {
        check(instance[i], *items, path + "/" + std::to_string(i), depth + 1, errors);
      }
    }
  }

  void checkOneOf(const json& instance, const json& s, const std::string& path, int depth,
                  std::vector<std::string>& errors) const {
    const auto one = s.find("oneOf");
    if (one == s.end() || !one->is_array()) { return; }
    const auto disc = s.find("discriminator");
    if (disc != s.end() && disc->is_object() && instance.is_object()) {
      const std::string property = disc->value("propertyName", "");
      const auto tag = instance.find(property);
      if (tag == instance.end() || !tag->is_string()) {
        errors.push_back(path + ": missing discriminator " + property);
        return;
      }
      const auto mapping = disc->find("mapping");
      if (mapping == disc->end() || !mapping->contains(tag->get<std::string>())) {
        errors.push_back(path + ": no oneOf branch for " + property + "=" + tag->dump());
        return;
      }
      check(instance, json{{"$ref", mapping->at(tag->get<std::string>())}}, path, depth + 1,
            errors);
      return;
    }
    std::size_t matches = 0;
    for (const json& branch : *one) {
      std::vector<std::string> branch_errors;
      check(instance, branch, path, depth + 1, branch_errors);
      if (branch_errors.empty()) { ++matches; }
    }
    if (matches != 1) {
      errors.push_back(path + ": matches " + std::to_string(matches) + " oneOf branches, not 1");
    }
  }

  void checkAnyOf(const json& instance, const json& s, const std::string& path, int depth,
                  std::vector<std::string>& errors) const {
    const auto any = s.find("anyOf");
    if (any == s.end() || !any->is_array()) { return; }
    for (const json& branch : *any) {
      std::vector<std::string> branch_errors;
      check(instance, branch, path, depth + 1, branch_errors);
      if (branch_errors.empty()) { return; }
    }
    errors.push_back(path + ": matches no anyOf branch");
  }
};

}  // namespace

std::vector<std::string> validate(const json& document, const json& instance,
                                  std::string_view ref) {
  std::vector<std::string> errors;
  try {
    Checker(document).check(instance, json{{"$ref", std::string(ref)}}, "", 0, errors);
  } catch (const std::exception& e) {
    errors.push_back(std::string("validator error: ") + e.what());
  }
  return errors;
}

json loadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) { return json(json::value_t::discarded); }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return json::parse(buffer.str(), nullptr, false);
}

}  // namespace bb::tests::openapi
