#pragma once
// Reading one member of a JSON object in a messenger's payload: the key is looked up once, its type
// checked, its value read. Payloads come from the network: a member that is absent or of another
// type reads as "not there" (nullptr, "", nullopt), never as an exception. Shared by the WhatsApp,
// Telegram and Matrix parsers.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace bb::webhooks {

//! The member `key` of `obj` of any type; nullptr when `obj` is no object or has no such member.
const nlohmann::json* member(const nlohmann::json& obj, const char* key);
//! The member `key` if it is an object.
const nlohmann::json* objectMember(const nlohmann::json& obj, const char* key);
//! The member `key` if it is an array.
const nlohmann::json* arrayMember(const nlohmann::json& obj, const char* key);
//! The member `key` if it is a string, else "".
std::string stringMember(const nlohmann::json& obj, const char* key);
//! The member `key` if it is an integer that fits 64 signed bits (ids can exceed 32 bits).
std::optional<std::int64_t> int64Member(const nlohmann::json& obj, const char* key);
//! The member `key` if it is a finite number (integer or not).
std::optional<double> numberMember(const nlohmann::json& obj, const char* key);
//! True only when the member `key` is the boolean true.
bool isTrue(const nlohmann::json& obj, const char* key);

}  // namespace bb::webhooks
