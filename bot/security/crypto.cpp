#include "bot/security/crypto.hpp"

#include <array>
#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace bb::crypto {
namespace {

constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

//! HMAC-SHA256 contexts keyed once per thread. OpenSSL 3's one-shot HMAC() looks the algorithm
//! up, allocates a context and hashes the key's pads on every call; the webhook path hashes three
//! ids and a signature per message with the same two keys.
class KeyedMacs {
public:
  //! A context ready for EVP_MAC_update with `key`, or nullptr if OpenSSL refuses.
  EVP_MAC_CTX* ready(std::string_view key) {
    for (auto& slot : slots_) {
      if (slot.ctx && slot.key == key) {
        return EVP_MAC_init(slot.ctx.get(), nullptr, 0, nullptr) == 1 ? slot.ctx.get() : nullptr;
      }
    }
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // lives as long as we do
    if (hmac == nullptr) { return nullptr; }
    Slot& slot = slots_[next_];
    next_ = (next_ + 1) % slots_.size();
    slot.ctx.reset(EVP_MAC_CTX_new(hmac));
    OPENSSL_cleanse(slot.key.data(), slot.key.size());
    slot.key.assign(key);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
    const auto* key_bytes = reinterpret_cast<const unsigned char*>(key.data());
    if (!slot.ctx || EVP_MAC_init(slot.ctx.get(), key_bytes, key.size(), params) != 1) {
      slot.ctx.reset();
      return nullptr;
    }
    return slot.ctx.get();
  }

private:
  struct Slot {
    std::string key;
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx;
    Slot() = default;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { OPENSSL_cleanse(key.data(), key.size()); }  // the thread's copy of a secret
  };
  std::array<Slot, 4> slots_;  // the pseudonym key, an app secret, a back office's secret...
  std::size_t next_ = 0;
};

//! The last key a thread sealed with and its id, so the id is not hashed per seal; the copy of
//! the key is wiped when the thread ends, like the HMAC slots above.
struct LastKeyId {
  Key key{};
  std::string id;
  LastKeyId() = default;
  LastKeyId(const LastKeyId&) = delete;
  LastKeyId& operator=(const LastKeyId&) = delete;
  ~LastKeyId() { OPENSSL_cleanse(key.data(), key.size()); }
};

int hexValue(char ch) {
  if (ch >= '0' && ch <= '9') { return ch - '0'; }
  if (ch >= 'a' && ch <= 'f') { return ch - 'a' + 10; }
  if (ch >= 'A' && ch <= 'F') { return ch - 'A' + 10; }
  return -1;
}

}  // namespace

std::string toHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

Result<std::string> fromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) { return fail(ErrorCode::InvalidInput, "odd hex length"); }
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = hexValue(hex[i]);
    int lo = hexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) { return fail(ErrorCode::InvalidInput, "not hex"); }
    out.push_back(static_cast<char>((hi << 4) | lo));
  }
  return out;
}

Result<Key> keyFromHex(std::string_view hex) {
  auto bytes = fromHex(hex);
  if (!bytes || bytes->size() != 32) {
    return fail(ErrorCode::InvalidInput, "key must be 64 hex characters");
  }
  Key key{};
  for (std::size_t i = 0; i < key.size(); ++i) { key[i] = static_cast<std::uint8_t>((*bytes)[i]); }
  return key;
}

std::string hmacSha256(std::string_view key, std::string_view message) {
  thread_local KeyedMacs macs;
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  EVP_MAC_CTX* ctx = macs.ready(key);
  const auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
  if (ctx == nullptr || EVP_MAC_update(ctx, bytes, message.size()) != 1 ||
      EVP_MAC_final(ctx, out, &len, sizeof out) != 1) {
    return {};  // OpenSSL out of memory: an empty MAC matches nothing
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string sha256Hex(std::string_view data) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
  return toHex(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) { return false; }
  if (a.empty()) { return true; }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string keyId(const Key& key) {
  return sha256Hex(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()))
      .substr(0, 8);
}

Sealed seal(const Key& key, std::string_view plaintext, std::string_view associated_data) {
  // Every inbound message seals its chat id: the cipher is looked up once and each thread keeps
  // its context (OpenSSL 3 fetches the algorithm again for every EVP_aes_256_gcm() init).
  static EVP_CIPHER* const aes_gcm = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  thread_local LastKeyId last_key_id;
  if (last_key_id.id.empty() || last_key_id.key != key) {
    last_key_id.key = key;
    last_key_id.id = keyId(key);
  }
  std::string nonce = randomBytes(kNonceBytes);
  std::string out(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  std::copy(nonce.begin(), nonce.end(), out.begin());
  int len = 0;
  int total = 0;
  EVP_EncryptInit_ex(ctx.get(), aes_gcm != nullptr ? aes_gcm : EVP_aes_256_gcm(), nullptr, nullptr,
                     nullptr);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr);
  EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  if (!associated_data.empty()) {
    EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                      reinterpret_cast<const unsigned char*>(associated_data.data()),
                      static_cast<int>(associated_data.size()));
  }
  EVP_EncryptUpdate(ctx.get(), o + kNonceBytes, &len,
                    reinterpret_cast<const unsigned char*>(plaintext.data()),
                    static_cast<int>(plaintext.size()));
  total = len;
  EVP_EncryptFinal_ex(ctx.get(), o + kNonceBytes + total, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                      o + kNonceBytes + plaintext.size());
  return Sealed{last_key_id.id, std::move(out)};
}

Result<std::string> open(const Key& key, std::string_view sealed, std::string_view associated_data) {
  if (sealed.size() < kNonceBytes + kTagBytes) {
    return fail(ErrorCode::InvalidInput, "ciphertext too short");
  }
  const std::size_t n = sealed.size() - kNonceBytes - kTagBytes;
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx(EVP_CIPHER_CTX_new());
  std::string out(n, '\0');
  int len = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes), nullptr);
  EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), in);
  if (!associated_data.empty()) {
    EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                      reinterpret_cast<const unsigned char*>(associated_data.data()),
                      static_cast<int>(associated_data.size()));
  }
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                    in + kNonceBytes, static_cast<int>(n));
  unsigned char tag[kTagBytes];
  std::copy(in + kNonceBytes + n, in + kNonceBytes + n + kTagBytes, tag);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag);
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &len) != 1) {
    return fail(ErrorCode::InvalidInput, "authentication failed");
  }
  return out;
}

std::string randomBytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no randomness means no safe sessions or nonces: stop.
  }
  return out;
}

std::string randomHex(std::size_t bytes) { return toHex(randomBytes(bytes)); }

}  // namespace bb::crypto
