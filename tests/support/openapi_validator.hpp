#pragma once
// A small validator for the JSON-Schema subset that OpenAPI 3.1 descriptions use for request
// bodies, written to check what Bürgerbox sends against the official API descriptions
// (reference/SPECS.md). Test support only.
//
// Supported: $ref (local "#/..." JSON pointers), allOf (merged first: properties, required,
// additionalProperties:false, per SPECS.md), oneOf (by discriminator.mapping when present, else
// exactly one branch), anyOf, type, enum, const, required, properties, additionalProperties
// (false or a schema), items, minItems, maxItems, minLength, maxLength (code points),
// minimum, maximum. Annotations and other keywords (pattern, format, ...) are ignored.

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace bb::tests::openapi {

//! Validates `instance` against the schema at `ref` (e.g. "#/components/schemas/Message") in
//! `document`. Returns one message per violation ("/interactive/action: ..."); empty = valid.
std::vector<std::string> validate(const nlohmann::json& document, const nlohmann::json& instance,
                                  std::string_view ref);

//! Reads and parses a JSON file; a discarded value when it cannot.
nlohmann::json loadJsonFile(const std::string& path);

}  // namespace bb::tests::openapi
