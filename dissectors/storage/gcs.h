#pragma once
// Google Cloud Storage: the XML API (path style on storage.googleapis.com, virtual-hosted
// <bucket>.storage.googleapis.com) and the JSON API (/storage/v1/b/<bucket>/o/<object>, the
// /download and /upload variants). Operations are named as the JSON API names them
// (objects.list, objects.get, buckets.get, ...), for both APIs.

#include <string>
#include <string_view>

#include "dissectors/storage/request_view.h"

namespace bw::storage {

struct GcsHost {
  std::string bucket;  // virtual-hosted bucket; "" for path style and the JSON API
};

// `host` lower-case without port; `path` decides for hosts shared with other Google APIs
// (www.googleapis.com serves storage only under /storage/, /download/storage/, ...).
bool ParseGcsHost(std::string_view host, std::string_view path, GcsHost& out);

// /storage/v1/..., /download/storage/v1/..., /upload/storage/v1/..., /batch/storage/v1.
bool IsGcsJsonApiPath(std::string_view path);

ResourceRef ResolveGcs(const RequestView& req, const GcsHost& host);
// The same into `out`, keeping its strings' capacity.
void ResolveGcs(const RequestView& req, const GcsHost& host, ResourceRef& out);

}  // namespace bw::storage
