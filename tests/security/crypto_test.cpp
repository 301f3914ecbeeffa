// crypto::hmacSha256 and crypto::seal keep their OpenSSL contexts per thread; these check HMAC
// against RFC 4231's vectors and OpenSSL's one-shot HMAC() when keys alternate, outnumber the
// kept contexts and differ only after a NUL byte, and on several threads at once; and that seals
// with alternating keys open only with their own key and carry that key's id.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bot/security/crypto.hpp"

namespace {

std::string oneShot(const std::string& key, const std::string& message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hexMac(const std::string& key, const std::string& message) {
  return bb::crypto::toHex(bb::crypto::hmacSha256(key, message));
}

}  // namespace

TEST_CASE("crypto: HMAC-SHA256 gives RFC 4231's results, the long key hashed first") {
  CHECK(hexMac(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hexMac("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string long_key(131, '\xaa');
  CHECK(hexMac(long_key, "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // The same key again, now from the kept context.
  CHECK(hexMac("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("crypto: HMAC-SHA256 stays right when keys alternate and outnumber the kept contexts") {
  // Seven keys against four kept contexts; two differ only after a NUL byte, one is empty.
  const std::vector<std::string> keys = {
      "k1", std::string("k\0a", 3), std::string("k\0b", 3), "", std::string(32, '\x11'),
      std::string(64, 'x'), "app-secret"};
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::string message =
          "wamid.HBgMNDkxNTEyMzQ1Njc4FQIAEhgg" + std::to_string(round * 10 + static_cast<int>(i));
      CAPTURE(i);
      CHECK(bb::crypto::hmacSha256(keys[i], message) == oneShot(keys[i], message));
      CHECK(bb::crypto::hmacSha256(keys[i], "") == oneShot(keys[i], ""));
    }
  }
}

TEST_CASE("crypto: HMAC-SHA256 on several threads at once gives each thread the right results") {
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &wrong] {
      for (int i = 0; i < 500; ++i) {
        const std::string key = "key-" + std::to_string((t + i) % 6);
        const std::string message = "message " + std::to_string(i);
        if (bb::crypto::hmacSha256(key, message) != oneShot(key, message)) { ++wrong[t]; }
      }
    });
  }
  for (auto& th : threads) { th.join(); }
  CHECK(wrong == std::vector<int>(4, 0));
}

TEST_CASE("crypto: seals with alternating keys open with their own key only and name it") {
  bb::crypto::Key a{};
  bb::crypto::Key b{};
  a.fill(0x11);
  b.fill(0x22);
  const auto a1 = bb::crypto::seal(a, "+4915112345678");
  const auto b1 = bb::crypto::seal(b, "+4915112345678");
  const auto a2 = bb::crypto::seal(a, "+4915112345678", "chat");
  CHECK(a1.key_id == bb::crypto::keyId(a));
  CHECK(b1.key_id == bb::crypto::keyId(b));
  CHECK(a2.key_id == bb::crypto::keyId(a));
  CHECK(a1.key_id != b1.key_id);
  CHECK(a1.ciphertext != a2.ciphertext);  // a fresh nonce each time
  CHECK(bb::crypto::open(a, a1.ciphertext).value_or("") == "+4915112345678");
  CHECK(bb::crypto::open(b, b1.ciphertext).value_or("") == "+4915112345678");
  CHECK(bb::crypto::open(a, a2.ciphertext, "chat").value_or("") == "+4915112345678");
  CHECK_FALSE(bb::crypto::open(b, a1.ciphertext).has_value());
  CHECK_FALSE(bb::crypto::open(a, b1.ciphertext).has_value());
  CHECK_FALSE(bb::crypto::open(a, a2.ciphertext).has_value());  // without its associated data
}
