#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "test_support.hpp"
#include "zerotask/curve.hpp"

using zerotask::KeyPair;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read_error(const std::function<void()>& read) {
  try {
    read();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class ScopedEnvironment {
 public:
  ScopedEnvironment(const char* name, const char* value) : name_(name) {
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnvironment() { ::unsetenv(name_); }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  const char* name_;
};

}  // namespace

TEST_CASE("a generated key pair is two Z85 keys whose public key derives from the secret") {
  KeyPair pair = zerotask::generate_key_pair();
  CHECK(zerotask::is_curve_key(pair.public_key));
  CHECK(zerotask::is_curve_key(pair.secret_key));
  CHECK(pair.public_key != pair.secret_key);
  CHECK(zerotask::public_key_of(pair.secret_key) == pair.public_key);
  CHECK_FALSE(zerotask::is_curve_key("too short"));
  CHECK_FALSE(zerotask::is_curve_key(std::string(40, ' ')));
  CHECK_THROWS_AS(zerotask::public_key_of("nope"), std::invalid_argument);
}

TEST_CASE("key files written for a pair read back as that pair, the public file as its public key") {
  zerotask::testing::TempDir dir;
  KeyPair pair = zerotask::generate_key_pair();
  write_file(dir.file("k.key"), zerotask::secret_key_file_text(pair));
  write_file(dir.file("k.pub"), zerotask::public_key_file_text(pair.public_key));
  KeyPair read = zerotask::read_key_pair(dir.file("k.key"));
  CHECK(read.public_key == pair.public_key);
  CHECK(read.secret_key == pair.secret_key);
  CHECK(zerotask::read_public_key(dir.file("k.pub")) == pair.public_key);
  CHECK(zerotask::read_public_key(dir.file("k.key")) == pair.public_key);
  CHECK(zerotask::public_key_file_text(pair.public_key).find(pair.secret_key) == std::string::npos);
}

TEST_CASE("a malformed key file is refused naming the file and the line") {
  zerotask::testing::TempDir dir;
  KeyPair pair = zerotask::generate_key_pair();
  KeyPair other = zerotask::generate_key_pair();
  std::string path = dir.file("bad.key");
  auto refusal = [&](const std::string& text) {
    write_file(path, text);
    return read_error([&] { zerotask::read_key_pair(path); });
  };
  CHECK(refusal("secret-key = short\n") ==
        "key file " + path + ": line 1: the secret-key is not a 40-character Z85 key");
  CHECK(refusal("# a comment\n\nsecret key\n") == "key file " + path + ": line 3 is not `name = key`");
  CHECK(refusal("private-key = " + pair.secret_key + "\n") ==
        "key file " + path + ": line 1 names 'private-key', not public-key or secret-key");
  CHECK(refusal("public-key = " + pair.public_key + "\n") ==
        "key file " + path + ": has no secret-key line (is it a public key file?)");
  CHECK(refusal("public-key = " + other.public_key + "\nsecret-key = " + pair.secret_key + "\n") ==
        "key file " + path + ": its public-key does not belong to its secret-key");
  CHECK(read_error([&] { zerotask::read_key_pair(dir.file("missing.key")); }) ==
        "key file " + dir.file("missing.key") + ": cannot be read");
}

TEST_CASE("credentials come from the files given, else from ZEROTASK_SECRET_KEY and ZEROTASK_BROKER_KEY") {
  zerotask::testing::TempDir dir;
  KeyPair own = zerotask::generate_key_pair();
  KeyPair broker = zerotask::generate_key_pair();
  write_file(dir.file("own.key"), zerotask::secret_key_file_text(own));
  write_file(dir.file("broker.pub"), zerotask::public_key_file_text(broker.public_key));
  {
    ScopedEnvironment secret("ZEROTASK_SECRET_KEY", nullptr);
    ScopedEnvironment server("ZEROTASK_BROKER_KEY", nullptr);
    CHECK_FALSE(zerotask::resolve_curve_credentials("", ""));
    auto from_files = zerotask::resolve_curve_credentials(dir.file("own.key"), dir.file("broker.pub"));
    REQUIRE(from_files);
    CHECK(from_files->own.secret_key == own.secret_key);
    CHECK(from_files->broker_public_key == broker.public_key);
    CHECK(read_error([&] { zerotask::resolve_curve_credentials(dir.file("own.key"), ""); }).find("not the broker's") !=
          std::string::npos);
  }
  {
    ScopedEnvironment secret("ZEROTASK_SECRET_KEY", own.secret_key.c_str());
    ScopedEnvironment server("ZEROTASK_BROKER_KEY", broker.public_key.c_str());
    auto from_environment = zerotask::resolve_curve_credentials("", "");
    REQUIRE(from_environment);
    CHECK(from_environment->own.public_key == own.public_key);
    CHECK(from_environment->broker_public_key == broker.public_key);
  }
  {
    ScopedEnvironment secret("ZEROTASK_SECRET_KEY", "not a key");
    ScopedEnvironment server("ZEROTASK_BROKER_KEY", nullptr);
    CHECK(read_error([] { zerotask::resolve_curve_credentials("", ""); }) ==
          "ZEROTASK_SECRET_KEY is not a 40-character Z85 key");
  }
}
