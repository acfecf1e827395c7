#include <gtest/gtest.h>

#include "dissectors/storage/storage_event.h"

namespace bw::storage {
namespace {

TEST(Names, StableWireNames) {
  EXPECT_EQ(ProviderName(Provider::kS3), "s3");
  EXPECT_EQ(ProviderName(Provider::kAzureBlob), "azure_blob");
  EXPECT_EQ(ProviderName(Provider::kGcs), "gcs");
  EXPECT_EQ(ProviderName(Provider::kS3Compatible), "s3_compatible");
  EXPECT_EQ(AuthClassName(AuthClass::kAnonymous), "anonymous");
  EXPECT_EQ(AuthClassName(AuthClass::kSigned), "signed");
  EXPECT_EQ(AuthClassName(AuthClass::kPresigned), "presigned");
  EXPECT_EQ(AuthClassName(AuthClass::kBearer), "bearer");
  EXPECT_EQ(AuthClassName(AuthClass::kUnknown), "unknown");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kNone), "");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kSigV2), "SigV2");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kSigV4), "SigV4");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kSigV4a), "SigV4a");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kSharedKey), "SharedKey");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kSharedKeyLite), "SharedKeyLite");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kSas), "SAS");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kGoog4), "GOOG4");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kBearer), "Bearer");
  EXPECT_EQ(AuthSchemeName(AuthScheme::kOther), "Other");
  EXPECT_EQ(OutcomeName(Outcome::kSuccess), "success");
  EXPECT_EQ(OutcomeName(Outcome::kDenied), "denied");
  EXPECT_EQ(OutcomeName(Outcome::kNotFound), "not_found");
  EXPECT_EQ(OutcomeName(Outcome::kError), "error");
  EXPECT_EQ(OutcomeName(Outcome::kNoResponse), "no_response");
  EXPECT_EQ(OperationKindName(OperationKind::kListBuckets), "list_buckets");
  EXPECT_EQ(OperationKindName(OperationKind::kList), "list");
  EXPECT_EQ(OperationKindName(OperationKind::kRead), "read");
  EXPECT_EQ(OperationKindName(OperationKind::kConfig), "config");
}

TEST(Names, ProviderFromNameRoundTrips) {
  for (Provider p :
       {Provider::kS3, Provider::kAzureBlob, Provider::kGcs, Provider::kS3Compatible}) {
    ASSERT_TRUE(ProviderFromName(ProviderName(p)).has_value());
    EXPECT_EQ(*ProviderFromName(ProviderName(p)), p);
  }
  EXPECT_FALSE(ProviderFromName("S3").has_value());
  EXPECT_FALSE(ProviderFromName("").has_value());
}

}  // namespace
}  // namespace bw::storage
