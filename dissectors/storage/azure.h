#pragma once
// Azure Blob Storage and ADLS Gen2: the account endpoint names (public and sovereign clouds,
// DNS-zone endpoints, secondary, private link, static website), Azurite-style path addressing
// (/<account>/<container>/<blob>), and the REST operation a request names.

#include <string>
#include <string_view>

#include "dissectors/http/http_transaction.h"
#include "dissectors/storage/request_view.h"

namespace bw::storage {

enum class AzureService : uint8_t { kBlob, kDfs, kWeb };

struct AzureHost {
  std::string account;  // "" for path style: the account is the first path segment
  AzureService service = AzureService::kBlob;
};

// `host` lower-case without port. False when it is not an Azure storage endpoint name.
bool ParseAzureHost(std::string_view host, AzureHost& out);

// Hosts whose names say "Azure storage" in a form ParseAzureHost does not know (Azure Stack
// "<account>.blob.<region>.<domain>", custom DNS): "<account>.blob.<anything>".
bool LooksLikeAzureAccountHost(std::string_view host, AzureHost& out);

ResourceRef ResolveAzure(const RequestView& req, const AzureHost& host);
// The same into `out`, keeping its strings' capacity.
void ResolveAzure(const RequestView& req, const AzureHost& host, ResourceRef& out);

// Azure-only query shapes: restype=container|service|account, comp=list, a SAS.
bool HasAzureQueryFingerprint(const QueryParams& q);

}  // namespace bw::storage
