// WhatsApp webhook authenticity: X-Hub-Signature-256 vectors and the GET handshake.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "webhooks/whatsapp/whatsapp.hpp"

namespace wa = bb::webhooks::whatsapp;

namespace {

std::string readFixture(const std::string& name) {
  std::ifstream in(std::string(BB_FIXTURE_DIR) + "/whatsapp/" + name, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << name);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Vector {
  std::string file;
  std::size_t length = 0;
  std::string header;
};

//! Lines: "<file>\tlen=<n>\tX-Hub-Signature-256: sha256=<hex>"; '#' starts a comment.
std::vector<Vector> loadVectors() {
  std::vector<Vector> out;
  std::istringstream lines(readFixture("SIGNATURE_TEST_VECTORS.txt"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') { continue; }
    const auto tab1 = line.find('\t');
    const auto tab2 = line.find('\t', tab1 + 1);
    const auto colon = line.find(": ", tab2);
    REQUIRE(tab1 != std::string::npos);
    REQUIRE(tab2 != std::string::npos);
    REQUIRE(colon != std::string::npos);
    Vector v;
    v.file = line.substr(0, tab1);
    v.length = std::stoul(line.substr(tab1 + 5, tab2 - tab1 - 5));
    v.header = line.substr(colon + 2);
    out.push_back(v);
  }
  return out;
}

constexpr const char* kSecret = "test_app_secret";

}  // namespace

TEST_CASE("whatsapp: signature vectors verify on the exact fixture bytes") {
  const std::vector<Vector> vectors = loadVectors();
  REQUIRE(vectors.size() == 5);
  for (const Vector& v : vectors) {
    CAPTURE(v.file);
    const std::string body = readFixture(v.file);
    REQUIRE(body.size() == v.length);
    CHECK(wa::verifySignature(body, v.header, kSecret));
  }
}

TEST_CASE("whatsapp: a one-byte change of body or signature fails") {
  for (const Vector& v : loadVectors()) {
    CAPTURE(v.file);
    const std::string body = readFixture(v.file);
    SUBCASE("every body byte flipped in turn") {
      bool any_accepted = false;
      for (std::size_t i = 0; i < body.size(); ++i) {
        std::string changed = body;
        changed[i] = static_cast<char>(changed[i] ^ 0x01);
        any_accepted = any_accepted || wa::verifySignature(changed, v.header, kSecret);
      }
      CHECK_FALSE(any_accepted);
    }
    SUBCASE("a byte appended or removed") {
      CHECK_FALSE(wa::verifySignature(body + " ", v.header, kSecret));
      CHECK_FALSE(wa::verifySignature(body.substr(0, body.size() - 1), v.header, kSecret));
    }
    SUBCASE("every signature hex digit changed in turn") {
      bool any_accepted = false;
      for (std::size_t i = std::string("sha256=").size(); i < v.header.size(); ++i) {
        std::string changed = v.header;
        changed[i] = changed[i] == '0' ? '1' : '0';
        any_accepted = any_accepted || wa::verifySignature(body, changed, kSecret);
      }
      CHECK_FALSE(any_accepted);
    }
  }
}

TEST_CASE("whatsapp: malformed signature headers and other secrets are rejected") {
  const Vector v = loadVectors().front();
  const std::string body = readFixture(v.file);
  const std::string hex = v.header.substr(7);
  CHECK(wa::verifySignature(body, "sha256=" + hex, kSecret));
  CHECK_FALSE(wa::verifySignature(body, "", kSecret));                     // missing header
  CHECK_FALSE(wa::verifySignature(body, hex, kSecret));                    // no prefix
  CHECK_FALSE(wa::verifySignature(body, "sha1=" + hex, kSecret));          // wrong prefix
  CHECK_FALSE(wa::verifySignature(body, "SHA256=" + hex, kSecret));        // prefix is exact
  CHECK_FALSE(wa::verifySignature(body, "sha256 =" + hex, kSecret));
  CHECK_FALSE(wa::verifySignature(body, "sha256=" + hex.substr(0, 63), kSecret));  // truncated
  CHECK_FALSE(wa::verifySignature(body, "sha256=" + hex.substr(0, 32), kSecret));
  CHECK_FALSE(wa::verifySignature(body, "sha256=", kSecret));
  CHECK_FALSE(wa::verifySignature(body, "sha256=" + hex + "0", kSecret));  // too long
  CHECK_FALSE(wa::verifySignature(body, "sha256=" + hex + " ", kSecret));
  CHECK_FALSE(wa::verifySignature(body, " sha256=" + hex, kSecret));
  CHECK_FALSE(wa::verifySignature(body, "sha256=" + std::string(64, 'g'), kSecret));  // garbage
  CHECK_FALSE(wa::verifySignature(body, "sha256=" + std::string(64, '0'), kSecret));
  std::string non_hex = hex;
  non_hex[10] = 'z';
  CHECK_FALSE(wa::verifySignature(body, "sha256=" + non_hex, kSecret));
  CHECK_FALSE(wa::verifySignature(body, v.header, "other_app_secret"));     // other secret
  CHECK_FALSE(wa::verifySignature(body, v.header, "test_app_secreT"));
  CHECK_FALSE(wa::verifySignature(body, v.header, ""));                     // unconfigured
}

TEST_CASE("whatsapp: uppercase hex digits are accepted (the digest bytes are compared)") {
  const Vector v = loadVectors().front();
  std::string upper = v.header.substr(7);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'f') { c = static_cast<char>(c - 'a' + 'A'); }
  }
  CHECK(wa::verifySignature(readFixture(v.file), "sha256=" + upper, kSecret));
}

TEST_CASE("whatsapp: signature of an empty body and of umlauts is computed on raw bytes") {
  // Computed independently: printf '%s' BODY | openssl dgst -sha256 -hmac test_app_secret
  CHECK(wa::verifySignature(
      "", "sha256=517bc4c7d1d8d400868e0ad6f64b77098b818a2f2595004253a1922302a602c0", kSecret));
  const std::string sig =
      "sha256=b678e1732461332cd4367d2f1fc010ddda72a7102e4f206239ca2aed96f0e7e9";
  const std::string umlaut = "{\"t\":\"Stra\xC3\x9F" "e\"}";  // raw UTF-8, as received
  const std::string escaped = "{\"t\":\"Stra\\u00dfe\"}";     // same JSON value, other bytes
  CHECK(wa::verifySignature(umlaut, sig, kSecret));
  CHECK_FALSE(wa::verifySignature(escaped, sig, kSecret));
}

TEST_CASE("whatsapp: verifyChallenge answers only a subscribe with the right token") {
  CHECK(wa::verifyChallenge("subscribe", "s3cret", "1158201444", "s3cret") ==
        std::optional<std::string>("1158201444"));
  CHECK_FALSE(wa::verifyChallenge("subscribe", "wrong", "1158201444", "s3cret"));
  CHECK_FALSE(wa::verifyChallenge("subscribe", "s3cre", "1158201444", "s3cret"));
  CHECK_FALSE(wa::verifyChallenge("subscribe", "s3cret2", "1158201444", "s3cret"));
  CHECK_FALSE(wa::verifyChallenge("subscribe", "", "1158201444", "s3cret"));
  CHECK_FALSE(wa::verifyChallenge("unsubscribe", "s3cret", "1158201444", "s3cret"));
  CHECK_FALSE(wa::verifyChallenge("Subscribe", "s3cret", "1158201444", "s3cret"));
  CHECK_FALSE(wa::verifyChallenge("", "s3cret", "1158201444", "s3cret"));
  SUBCASE("an unconfigured verify token never matches") {
    CHECK_FALSE(wa::verifyChallenge("subscribe", "", "1158201444", ""));
  }
  SUBCASE("only a plain challenge is echoed") {
    CHECK(wa::verifyChallenge("subscribe", "s3cret", "abc-DEF_1.2", "s3cret"));
    CHECK_FALSE(wa::verifyChallenge("subscribe", "s3cret", "", "s3cret"));
    CHECK_FALSE(wa::verifyChallenge("subscribe", "s3cret", "<script>", "s3cret"));
    CHECK_FALSE(wa::verifyChallenge("subscribe", "s3cret", "12 34", "s3cret"));
    CHECK_FALSE(wa::verifyChallenge("subscribe", "s3cret", std::string(257, '1'), "s3cret"));
    CHECK(wa::verifyChallenge("subscribe", "s3cret", std::string(256, '1'), "s3cret"));
  }
}
