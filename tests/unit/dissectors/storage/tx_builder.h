#pragma once
// Hand-built HTTP transactions for the storage tests: what the HTTP parser would hand over.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dissectors/http/http_transaction.h"

namespace bw::storage::testing {

class TxBuilder {
 public:
  TxBuilder(std::string method, std::string host, std::string target) {
    tx_.request.method = std::move(method);
    tx_.request.host = host;
    tx_.request.target = std::move(target);
    tx_.request.headers.Add("Host", host);
    tx_.request.header_bytes = 100;
  }
  TxBuilder& Header(std::string name, std::string value) {
    tx_.request.headers.Add(name, value);
    return *this;
  }
  TxBuilder& RequestBody(uint64_t bytes) {
    tx_.request.body_bytes = bytes;
    return *this;
  }
  TxBuilder& Status(uint16_t status) {
    tx_.has_response = true;
    tx_.end = http::TransactionEnd::kComplete;
    tx_.response.status = status;
    tx_.response.header_bytes = 200;
    return *this;
  }
  TxBuilder& RespHeader(std::string name, std::string value) {
    tx_.response.headers.Add(name, value);
    return *this;
  }
  TxBuilder& Body(std::string body) {
    tx_.response.body_bytes = body.size();
    tx_.response.body_content_bytes = body.size();
    tx_.response.body_prefix = std::move(body);
    return *this;
  }
  TxBuilder& NoResponse() {
    tx_.has_response = false;
    tx_.end = http::TransactionEnd::kNoResponse;
    return *this;
  }
  const http::HttpTransaction& tx() const { return tx_; }

 private:
  http::HttpTransaction tx_;
};

}  // namespace bw::storage::testing
