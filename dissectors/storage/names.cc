#include "dissectors/storage/names.h"

namespace bw::storage {

std::string_view ProviderName(Provider p) {
  switch (p) {
    case Provider::kS3:
      return "s3";
    case Provider::kAzureBlob:
      return "azure_blob";
    case Provider::kGcs:
      return "gcs";
    case Provider::kS3Compatible:
      return "s3_compatible";
  }
  return "unknown";
}

std::optional<Provider> ProviderFromName(std::string_view name) {
  for (Provider p :
       {Provider::kS3, Provider::kAzureBlob, Provider::kGcs, Provider::kS3Compatible}) {
    if (ProviderName(p) == name) return p;
  }
  return std::nullopt;
}

std::string_view AuthClassName(AuthClass a) {
  switch (a) {
    case AuthClass::kAnonymous:
      return "anonymous";
    case AuthClass::kSigned:
      return "signed";
    case AuthClass::kPresigned:
      return "presigned";
    case AuthClass::kBearer:
      return "bearer";
    case AuthClass::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string_view AuthSchemeName(AuthScheme s) {
  switch (s) {
    case AuthScheme::kNone:
      return "";
    case AuthScheme::kSigV2:
      return "SigV2";
    case AuthScheme::kSigV4:
      return "SigV4";
    case AuthScheme::kSigV4a:
      return "SigV4a";
    case AuthScheme::kSharedKey:
      return "SharedKey";
    case AuthScheme::kSharedKeyLite:
      return "SharedKeyLite";
    case AuthScheme::kSas:
      return "SAS";
    case AuthScheme::kGoog4:
      return "GOOG4";
    case AuthScheme::kBearer:
      return "Bearer";
    case AuthScheme::kOther:
      return "Other";
  }
  return "Other";
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kSuccess:
      return "success";
    case Outcome::kDenied:
      return "denied";
    case Outcome::kNotFound:
      return "not_found";
    case Outcome::kError:
      return "error";
    case Outcome::kNoResponse:
      return "no_response";
  }
  return "error";
}

std::string_view OperationKindName(OperationKind k) {
  switch (k) {
    case OperationKind::kListBuckets:
      return "list_buckets";
    case OperationKind::kList:
      return "list";
    case OperationKind::kRead:
      return "read";
    case OperationKind::kHead:
      return "head";
    case OperationKind::kWrite:
      return "write";
    case OperationKind::kDelete:
      return "delete";
    case OperationKind::kConfig:
      return "config";
    case OperationKind::kOther:
      return "other";
  }
  return "other";
}

}  // namespace bw::storage
