// SHA-256 against the FIPS 180-4 / NIST example vectors.
#include "catch.h"

#include "attngen/runtime/Sha256.h"

#include <string>

using attngen::Sha256;

TEST_CASE("SHA-256 matches the standard vectors", "[sha256]") {
  CHECK(Sha256::hexDigest("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256::hexDigest("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Sha256::hexDigest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(Sha256::hexDigest("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                          "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  CHECK(Sha256::hexDigest(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("SHA-256 padding boundaries", "[sha256]") {
  // 55 bytes: the length fits in the last block; 56: it needs one more; 64: a full block.
  CHECK(Sha256::hexDigest(std::string(55, 'a')) ==
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(Sha256::hexDigest(std::string(56, 'a')) ==
        "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(Sha256::hexDigest(std::string(64, 'a')) ==
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST_CASE("SHA-256 incremental updates equal one-shot hashing", "[sha256]") {
  std::string data;
  for (int i = 0; i < 300; ++i)
    data.push_back(char(i * 7 + 3));
  for (size_t len : {0, 1, 63, 64, 65, 127, 128, 129, 300}) {
    for (size_t chunk : {1, 3, 64, 100}) {
      Sha256 h;
      for (size_t at = 0; at < len; at += chunk)
        h.update(data.data() + at, std::min(chunk, len - at));
      CHECK(Sha256::hex(h.finish()) == Sha256::hexDigest(std::string_view(data).substr(0, len)));
    }
  }
}
