#include "sensor/clickhouse/password_file.h"

#include <cstdlib>
#include <fstream>

namespace bw::clickhouse {

bool ReadPasswordFile(const std::string& path, std::string& password, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in || !std::getline(in, password)) {
    error = "cannot read the password from " + path;
    return false;
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return true;
}

bool CommandPassword(const std::string& file, std::string& password, std::string& error) {
  if (file.empty()) {
    const char* env = std::getenv("BUCKETWATCH_CLICKHOUSE_PASSWORD");
    password = env != nullptr ? env : "";
    return true;
  }
  if (ReadPasswordFile(file, password, error)) return true;
  error = "--password-file: " + error;
  return false;
}

}  // namespace bw::clickhouse
