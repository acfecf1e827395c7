#pragma once
// An object read that only the answer's bytes can prove: some S3-compatible stores (s3rver, a
// store behind a proxy that strips x-amz-* headers) serve an anonymous GET with nothing that
// says "storage", and a sensor that started after the store's last listing has not learned it.
// S3 and every compatible store send a single-part object's MD5 as its ETag, which no web server
// or framework does together with the rest of this shape. So an answer is an object read when
//  - the request is a GET addressed path-style, /<bucket>/<key>, the bucket a valid S3 bucket
//    name (3-63 of a-z 0-9 . -, a letter or digit at each end) and the key not empty;
//  - the answer is a 200 without Content-Encoding, with Last-Modified, Accept-Ranges: bytes and a
//    strong ETag of 32 hex digits (a weak W/ ETag, a multipart "-N" one or any other is not);
//  - and the body, received whole (the caller checks), has that MD5.
// ClaimedObjectMd5 checks everything but the body; pure.

#include <array>
#include <cstdint>
#include <optional>

#include "dissectors/http/http_transaction.h"

namespace bw::storage {

using Md5 = std::array<uint8_t, 16>;

// The MD5 the ETag claims when the request and the answer's head have the shape above.
std::optional<Md5> ClaimedObjectMd5(const http::HttpTransaction& tx);

}  // namespace bw::storage
