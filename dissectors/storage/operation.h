#pragma once
// Every storage API operation the recognisers name, in one table: its id, its wire name (the
// provider's own API name, written to the ledger as `storage.operation` and used as the bounded
// `operation` label in Prometheus), the provider whose API defines it, and what it usually does
// to data. Guarantees: ids are dense from 0 (kUnknown) to kOperationCount - 1, names are unique,
// and a name never changes once released (dashboards and saved ledger queries match on it).
//
// The kind column is the operation's usual effect. A recogniser may report another kind for one
// request where the API overloads a name: GCS objects.get is a metadata read unless it asks for
// the media, buckets.get with a configuration subresource reads configuration, and ADLS
// UpdatePath changes either data or access control.
//
// S3 rows are the S3 REST API, also spoken by S3-compatible stores; the GCS XML API reports the
// JSON API's names.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "dissectors/storage/names.h"

namespace bw::storage {

// X(id, wire name, Provider::k<provider>, OperationKind::k<kind>)
#define BW_STORAGE_OPERATIONS(X)                                                                   \
  /* S3: service, bucket, object, then the S3 Control API */                                       \
  X(kListBuckets, "ListBuckets", S3, ListBuckets)                                                  \
  X(kListDirectoryBuckets, "ListDirectoryBuckets", S3, ListBuckets)                                \
  X(kListObjectsV2, "ListObjectsV2", S3, List)                                                     \
  X(kListObjects, "ListObjects", S3, List)                                                         \
  X(kListObjectVersions, "ListObjectVersions", S3, List)                                           \
  X(kListMultipartUploads, "ListMultipartUploads", S3, List)                                       \
  X(kListParts, "ListParts", S3, List)                                                             \
  X(kHeadBucket, "HeadBucket", S3, Head)                                                           \
  X(kCreateBucket, "CreateBucket", S3, Write)                                                      \
  X(kDeleteBucket, "DeleteBucket", S3, Delete)                                                     \
  X(kDeleteObjects, "DeleteObjects", S3, Delete)                                                   \
  X(kPostObject, "PostObject", S3, Write)                                                          \
  X(kCreateSession, "CreateSession", S3, Other)                                                    \
  X(kGetBucketAcl, "GetBucketAcl", S3, Config)                                                     \
  X(kPutBucketAcl, "PutBucketAcl", S3, Config)                                                     \
  X(kGetBucketPolicyStatus, "GetBucketPolicyStatus", S3, Config)                                   \
  X(kGetBucketPolicy, "GetBucketPolicy", S3, Config)                                               \
  X(kPutBucketPolicy, "PutBucketPolicy", S3, Config)                                               \
  X(kDeleteBucketPolicy, "DeleteBucketPolicy", S3, Config)                                         \
  X(kGetBucketLocation, "GetBucketLocation", S3, Config)                                           \
  X(kGetBucketWebsite, "GetBucketWebsite", S3, Config)                                             \
  X(kPutBucketWebsite, "PutBucketWebsite", S3, Config)                                             \
  X(kDeleteBucketWebsite, "DeleteBucketWebsite", S3, Config)                                       \
  X(kGetBucketCors, "GetBucketCors", S3, Config)                                                   \
  X(kPutBucketCors, "PutBucketCors", S3, Config)                                                   \
  X(kDeleteBucketCors, "DeleteBucketCors", S3, Config)                                             \
  X(kGetBucketLifecycleConfiguration, "GetBucketLifecycleConfiguration", S3, Config)               \
  X(kPutBucketLifecycleConfiguration, "PutBucketLifecycleConfiguration", S3, Config)               \
  X(kDeleteBucketLifecycle, "DeleteBucketLifecycle", S3, Config)                                   \
  X(kGetBucketTagging, "GetBucketTagging", S3, Config)                                             \
  X(kPutBucketTagging, "PutBucketTagging", S3, Config)                                             \
  X(kDeleteBucketTagging, "DeleteBucketTagging", S3, Config)                                       \
  X(kGetBucketVersioning, "GetBucketVersioning", S3, Config)                                       \
  X(kPutBucketVersioning, "PutBucketVersioning", S3, Config)                                       \
  X(kGetBucketEncryption, "GetBucketEncryption", S3, Config)                                       \
  X(kPutBucketEncryption, "PutBucketEncryption", S3, Config)                                       \
  X(kDeleteBucketEncryption, "DeleteBucketEncryption", S3, Config)                                 \
  X(kGetBucketLogging, "GetBucketLogging", S3, Config)                                             \
  X(kPutBucketLogging, "PutBucketLogging", S3, Config)                                             \
  X(kGetBucketNotificationConfiguration, "GetBucketNotificationConfiguration", S3, Config)         \
  X(kPutBucketNotificationConfiguration, "PutBucketNotificationConfiguration", S3, Config)         \
  X(kGetBucketReplication, "GetBucketReplication", S3, Config)                                     \
  X(kPutBucketReplication, "PutBucketReplication", S3, Config)                                     \
  X(kDeleteBucketReplication, "DeleteBucketReplication", S3, Config)                               \
  X(kGetBucketRequestPayment, "GetBucketRequestPayment", S3, Config)                               \
  X(kPutBucketRequestPayment, "PutBucketRequestPayment", S3, Config)                               \
  X(kGetBucketAccelerateConfiguration, "GetBucketAccelerateConfiguration", S3, Config)             \
  X(kPutBucketAccelerateConfiguration, "PutBucketAccelerateConfiguration", S3, Config)             \
  X(kGetBucketOwnershipControls, "GetBucketOwnershipControls", S3, Config)                         \
  X(kPutBucketOwnershipControls, "PutBucketOwnershipControls", S3, Config)                         \
  X(kDeleteBucketOwnershipControls, "DeleteBucketOwnershipControls", S3, Config)                   \
  X(kGetPublicAccessBlock, "GetPublicAccessBlock", S3, Config)                                     \
  X(kPutPublicAccessBlock, "PutPublicAccessBlock", S3, Config)                                     \
  X(kDeletePublicAccessBlock, "DeletePublicAccessBlock", S3, Config)                               \
  X(kGetObjectLockConfiguration, "GetObjectLockConfiguration", S3, Config)                         \
  X(kPutObjectLockConfiguration, "PutObjectLockConfiguration", S3, Config)                         \
  X(kGetBucketAnalyticsConfiguration, "GetBucketAnalyticsConfiguration", S3, Config)               \
  X(kPutBucketAnalyticsConfiguration, "PutBucketAnalyticsConfiguration", S3, Config)               \
  X(kDeleteBucketAnalyticsConfiguration, "DeleteBucketAnalyticsConfiguration", S3, Config)         \
  X(kListBucketAnalyticsConfigurations, "ListBucketAnalyticsConfigurations", S3, Config)           \
  X(kGetBucketMetricsConfiguration, "GetBucketMetricsConfiguration", S3, Config)                   \
  X(kPutBucketMetricsConfiguration, "PutBucketMetricsConfiguration", S3, Config)                   \
  X(kDeleteBucketMetricsConfiguration, "DeleteBucketMetricsConfiguration", S3, Config)             \
  X(kListBucketMetricsConfigurations, "ListBucketMetricsConfigurations", S3, Config)               \
  X(kGetBucketInventoryConfiguration, "GetBucketInventoryConfiguration", S3, Config)               \
  X(kPutBucketInventoryConfiguration, "PutBucketInventoryConfiguration", S3, Config)               \
  X(kDeleteBucketInventoryConfiguration, "DeleteBucketInventoryConfiguration", S3, Config)         \
  X(kListBucketInventoryConfigurations, "ListBucketInventoryConfigurations", S3, Config)           \
  X(kGetBucketIntelligentTieringConfiguration, "GetBucketIntelligentTieringConfiguration", S3,     \
    Config)                                                                                        \
  X(kPutBucketIntelligentTieringConfiguration, "PutBucketIntelligentTieringConfiguration", S3,     \
    Config)                                                                                        \
  X(kDeleteBucketIntelligentTieringConfiguration, "DeleteBucketIntelligentTieringConfiguration",   \
    S3, Config)                                                                                    \
  X(kListBucketIntelligentTieringConfigurations, "ListBucketIntelligentTieringConfigurations", S3, \
    Config)                                                                                        \
  X(kGetBucketMetadataTableConfiguration, "GetBucketMetadataTableConfiguration", S3, Config)       \
  X(kGetObject, "GetObject", S3, Read)                                                             \
  X(kHeadObject, "HeadObject", S3, Head)                                                           \
  X(kGetObjectAttributes, "GetObjectAttributes", S3, Head)                                         \
  X(kGetObjectTorrent, "GetObjectTorrent", S3, Read)                                               \
  X(kSelectObjectContent, "SelectObjectContent", S3, Read)                                         \
  X(kGetObjectAcl, "GetObjectAcl", S3, Config)                                                     \
  X(kGetObjectTagging, "GetObjectTagging", S3, Config)                                             \
  X(kGetObjectRetention, "GetObjectRetention", S3, Config)                                         \
  X(kGetObjectLegalHold, "GetObjectLegalHold", S3, Config)                                         \
  X(kPutObject, "PutObject", S3, Write)                                                            \
  X(kCopyObject, "CopyObject", S3, Write)                                                          \
  X(kRenameObject, "RenameObject", S3, Write)                                                      \
  X(kUploadPart, "UploadPart", S3, Write)                                                          \
  X(kUploadPartCopy, "UploadPartCopy", S3, Write)                                                  \
  X(kCreateMultipartUpload, "CreateMultipartUpload", S3, Write)                                    \
  X(kCompleteMultipartUpload, "CompleteMultipartUpload", S3, Write)                                \
  X(kAbortMultipartUpload, "AbortMultipartUpload", S3, Delete)                                     \
  X(kPutObjectAcl, "PutObjectAcl", S3, Config)                                                     \
  X(kPutObjectTagging, "PutObjectTagging", S3, Config)                                             \
  X(kPutObjectRetention, "PutObjectRetention", S3, Config)                                         \
  X(kPutObjectLegalHold, "PutObjectLegalHold", S3, Config)                                         \
  X(kDeleteObjectTagging, "DeleteObjectTagging", S3, Config)                                       \
  X(kDeleteObject, "DeleteObject", S3, Delete)                                                     \
  X(kRestoreObject, "RestoreObject", S3, Other)                                                    \
  X(kListAccessPoints, "ListAccessPoints", S3, Config)                                             \
  X(kGetAccessPoint, "GetAccessPoint", S3, Config)                                                 \
  X(kGetAccessPointPolicy, "GetAccessPointPolicy", S3, Config)                                     \
  X(kCreateAccessPoint, "CreateAccessPoint", S3, Config)                                           \
  X(kPutAccessPointPolicy, "PutAccessPointPolicy", S3, Config)                                     \
  X(kDeleteAccessPoint, "DeleteAccessPoint", S3, Config)                                           \
  X(kListJobs, "ListJobs", S3, Other)                                                              \
  X(kCreateJob, "CreateJob", S3, Other)                                                            \
  X(kListRegionalBuckets, "ListRegionalBuckets", S3, ListBuckets)                                  \
  /* Azure Blob Storage, then ADLS Gen2 (dfs endpoint) */                                          \
  X(kListContainers, "ListContainers", AzureBlob, ListBuckets)                                     \
  X(kGetBlobServiceProperties, "GetBlobServiceProperties", AzureBlob, Config)                      \
  X(kSetBlobServiceProperties, "SetBlobServiceProperties", AzureBlob, Config)                      \
  X(kGetBlobServiceStats, "GetBlobServiceStats", AzureBlob, Config)                                \
  X(kGetUserDelegationKey, "GetUserDelegationKey", AzureBlob, Other)                               \
  X(kGetAccountInformation, "GetAccountInformation", AzureBlob, Head)                              \
  X(kBlobBatch, "BlobBatch", AzureBlob, Other)                                                     \
  X(kListBlobs, "ListBlobs", AzureBlob, List)                                                      \
  X(kFindBlobsByTags, "FindBlobsByTags", AzureBlob, List)                                          \
  X(kGetContainerProperties, "GetContainerProperties", AzureBlob, Head)                            \
  X(kGetContainerMetadata, "GetContainerMetadata", AzureBlob, Head)                                \
  X(kGetContainerACL, "GetContainerACL", AzureBlob, Config)                                        \
  X(kSetContainerACL, "SetContainerACL", AzureBlob, Config)                                        \
  X(kSetContainerMetadata, "SetContainerMetadata", AzureBlob, Config)                              \
  X(kCreateContainer, "CreateContainer", AzureBlob, Write)                                         \
  X(kRestoreContainer, "RestoreContainer", AzureBlob, Write)                                       \
  X(kRenameContainer, "RenameContainer", AzureBlob, Write)                                         \
  X(kDeleteContainer, "DeleteContainer", AzureBlob, Delete)                                        \
  X(kLeaseContainer, "LeaseContainer", AzureBlob, Other)                                           \
  X(kGetBlob, "GetBlob", AzureBlob, Read)                                                          \
  X(kQueryBlobContents, "QueryBlobContents", AzureBlob, Read)                                      \
  X(kGetBlobProperties, "GetBlobProperties", AzureBlob, Head)                                      \
  X(kGetBlobMetadata, "GetBlobMetadata", AzureBlob, Head)                                          \
  X(kGetBlobTags, "GetBlobTags", AzureBlob, Head)                                                  \
  X(kGetBlockList, "GetBlockList", AzureBlob, Head)                                                \
  X(kGetPageRanges, "GetPageRanges", AzureBlob, Head)                                              \
  X(kGetBlobACL, "GetBlobACL", AzureBlob, Config)                                                  \
  X(kPutBlob, "PutBlob", AzureBlob, Write)                                                         \
  X(kCopyBlob, "CopyBlob", AzureBlob, Write)                                                       \
  X(kPutBlock, "PutBlock", AzureBlob, Write)                                                       \
  X(kPutBlockFromURL, "PutBlockFromURL", AzureBlob, Write)                                         \
  X(kPutBlockList, "PutBlockList", AzureBlob, Write)                                               \
  X(kPutPage, "PutPage", AzureBlob, Write)                                                         \
  X(kPutPageFromURL, "PutPageFromURL", AzureBlob, Write)                                           \
  X(kAppendBlock, "AppendBlock", AzureBlob, Write)                                                 \
  X(kAppendBlockFromURL, "AppendBlockFromURL", AzureBlob, Write)                                   \
  X(kSnapshotBlob, "SnapshotBlob", AzureBlob, Write)                                               \
  X(kUndeleteBlob, "UndeleteBlob", AzureBlob, Write)                                               \
  X(kSetBlobMetadata, "SetBlobMetadata", AzureBlob, Config)                                        \
  X(kSetBlobProperties, "SetBlobProperties", AzureBlob, Config)                                    \
  X(kSetBlobTags, "SetBlobTags", AzureBlob, Config)                                                \
  X(kSetBlobTier, "SetBlobTier", AzureBlob, Config)                                                \
  X(kSetBlobExpiry, "SetBlobExpiry", AzureBlob, Config)                                            \
  X(kSetBlobImmutabilityPolicy, "SetBlobImmutabilityPolicy", AzureBlob, Config)                    \
  X(kDeleteBlobImmutabilityPolicy, "DeleteBlobImmutabilityPolicy", AzureBlob, Config)              \
  X(kSetBlobLegalHold, "SetBlobLegalHold", AzureBlob, Config)                                      \
  X(kDeleteBlob, "DeleteBlob", AzureBlob, Delete)                                                  \
  X(kLeaseBlob, "LeaseBlob", AzureBlob, Other)                                                     \
  X(kAbortCopyBlob, "AbortCopyBlob", AzureBlob, Other)                                             \
  X(kListFilesystems, "ListFilesystems", AzureBlob, ListBuckets)                                   \
  X(kListPaths, "ListPaths", AzureBlob, List)                                                      \
  X(kGetFilesystemProperties, "GetFilesystemProperties", AzureBlob, Head)                          \
  X(kCreateFilesystem, "CreateFilesystem", AzureBlob, Write)                                       \
  X(kSetFilesystemProperties, "SetFilesystemProperties", AzureBlob, Config)                        \
  X(kDeleteFilesystem, "DeleteFilesystem", AzureBlob, Delete)                                      \
  X(kReadPath, "ReadPath", AzureBlob, Read)                                                        \
  X(kGetPathProperties, "GetPathProperties", AzureBlob, Head)                                      \
  X(kCreatePath, "CreatePath", AzureBlob, Write)                                                   \
  X(kUpdatePath, "UpdatePath", AzureBlob, Write)                                                   \
  X(kDeletePath, "DeletePath", AzureBlob, Delete)                                                  \
  X(kLeasePath, "LeasePath", AzureBlob, Other)                                                     \
  /* Google Cloud Storage, JSON API names (the XML API reports them too) */                        \
  X(kGcsBucketsList, "buckets.list", Gcs, ListBuckets)                                             \
  X(kGcsBucketsInsert, "buckets.insert", Gcs, Write)                                               \
  X(kGcsBucketsGet, "buckets.get", Gcs, Head)                                                      \
  X(kGcsBucketsPatch, "buckets.patch", Gcs, Config)                                                \
  X(kGcsBucketsUpdate, "buckets.update", Gcs, Config)                                              \
  X(kGcsBucketsDelete, "buckets.delete", Gcs, Delete)                                              \
  X(kGcsBucketsGetIamPolicy, "buckets.getIamPolicy", Gcs, Config)                                  \
  X(kGcsBucketsSetIamPolicy, "buckets.setIamPolicy", Gcs, Config)                                  \
  X(kGcsBucketsTestIamPermissions, "buckets.testIamPermissions", Gcs, Config)                      \
  X(kGcsBucketsLockRetentionPolicy, "buckets.lockRetentionPolicy", Gcs, Config)                    \
  X(kGcsObjectsList, "objects.list", Gcs, List)                                                    \
  X(kGcsObjectsGet, "objects.get", Gcs, Read)                                                      \
  X(kGcsObjectsInsert, "objects.insert", Gcs, Write)                                               \
  X(kGcsObjectsCompose, "objects.compose", Gcs, Write)                                             \
  X(kGcsObjectsCopy, "objects.copy", Gcs, Write)                                                   \
  X(kGcsObjectsRewrite, "objects.rewrite", Gcs, Write)                                             \
  X(kGcsObjectsRestore, "objects.restore", Gcs, Write)                                             \
  X(kGcsObjectsPatch, "objects.patch", Gcs, Config)                                                \
  X(kGcsObjectsUpdate, "objects.update", Gcs, Config)                                              \
  X(kGcsObjectsDelete, "objects.delete", Gcs, Delete)                                              \
  X(kGcsObjectsWatchAll, "objects.watchAll", Gcs, Other)                                           \
  X(kGcsBucketAccessControlsList, "bucketAccessControls.list", Gcs, Config)                        \
  X(kGcsBucketAccessControlsGet, "bucketAccessControls.get", Gcs, Config)                          \
  X(kGcsBucketAccessControlsInsert, "bucketAccessControls.insert", Gcs, Config)                    \
  X(kGcsBucketAccessControlsUpdate, "bucketAccessControls.update", Gcs, Config)                    \
  X(kGcsBucketAccessControlsPatch, "bucketAccessControls.patch", Gcs, Config)                      \
  X(kGcsBucketAccessControlsDelete, "bucketAccessControls.delete", Gcs, Config)                    \
  X(kGcsObjectAccessControlsList, "objectAccessControls.list", Gcs, Config)                        \
  X(kGcsObjectAccessControlsGet, "objectAccessControls.get", Gcs, Config)                          \
  X(kGcsObjectAccessControlsInsert, "objectAccessControls.insert", Gcs, Config)                    \
  X(kGcsObjectAccessControlsUpdate, "objectAccessControls.update", Gcs, Config)                    \
  X(kGcsObjectAccessControlsPatch, "objectAccessControls.patch", Gcs, Config)                      \
  X(kGcsObjectAccessControlsDelete, "objectAccessControls.delete", Gcs, Config)                    \
  X(kGcsDefaultObjectAccessControlsList, "defaultObjectAccessControls.list", Gcs, Config)          \
  X(kGcsDefaultObjectAccessControlsGet, "defaultObjectAccessControls.get", Gcs, Config)            \
  X(kGcsDefaultObjectAccessControlsInsert, "defaultObjectAccessControls.insert", Gcs, Config)      \
  X(kGcsDefaultObjectAccessControlsUpdate, "defaultObjectAccessControls.update", Gcs, Config)      \
  X(kGcsDefaultObjectAccessControlsPatch, "defaultObjectAccessControls.patch", Gcs, Config)        \
  X(kGcsDefaultObjectAccessControlsDelete, "defaultObjectAccessControls.delete", Gcs, Config)      \
  X(kGcsNotificationsList, "notifications.list", Gcs, Config)                                      \
  X(kGcsNotificationsGet, "notifications.get", Gcs, Config)                                        \
  X(kGcsNotificationsInsert, "notifications.insert", Gcs, Config)                                  \
  X(kGcsNotificationsDelete, "notifications.delete", Gcs, Config)                                  \
  X(kGcsMultipartUploadsList, "multipartUploads.list", Gcs, List)                                  \
  X(kGcsMultipartUploadsListParts, "multipartUploads.listParts", Gcs, List)                        \
  X(kGcsMultipartUploadsCreate, "multipartUploads.create", Gcs, Write)                             \
  X(kGcsMultipartUploadsUploadPart, "multipartUploads.uploadPart", Gcs, Write)                     \
  X(kGcsMultipartUploadsComplete, "multipartUploads.complete", Gcs, Write)                         \
  X(kGcsMultipartUploadsAbort, "multipartUploads.abort", Gcs, Delete)                              \
  X(kGcsProjectsServiceAccountGet, "projects.serviceAccount.get", Gcs, Other)                      \
  X(kGcsProjectsHmacKeysList, "projects.hmacKeys.list", Gcs, Config)                               \
  X(kGcsProjectsHmacKeysCreate, "projects.hmacKeys.create", Gcs, Config)                           \
  X(kGcsBatch, "batch", Gcs, Other)

enum class Operation : uint16_t {
  // A request the recognisers could not name (an unexpected method or path for its endpoint).
  kUnknown,
#define BW_STORAGE_OPERATION_ENUM(id, name, provider, kind) id,
  BW_STORAGE_OPERATIONS(BW_STORAGE_OPERATION_ENUM)
#undef BW_STORAGE_OPERATION_ENUM
      kCount
};

inline constexpr size_t kOperationCount = static_cast<size_t>(Operation::kCount);

namespace operation_table {

struct Row {
  std::string_view name;
  std::optional<Provider> provider;  // nullopt for kUnknown only
  OperationKind kind;
};

inline constexpr std::array<Row, kOperationCount> kRows = {
    {{"Unknown", std::nullopt, OperationKind::kOther},
#define BW_STORAGE_OPERATION_ROW(id, name, provider, kind) \
  {name, Provider::k##provider, OperationKind::k##kind},
     BW_STORAGE_OPERATIONS(BW_STORAGE_OPERATION_ROW)
#undef BW_STORAGE_OPERATION_ROW
    }};

constexpr const Row& RowOf(Operation op) {
  auto i = static_cast<size_t>(op);
  return kRows[i < kRows.size() ? i : 0];
}

}  // namespace operation_table

// The wire name: "ListObjectsV2", "GetBlob", "objects.list", ...; "Unknown" for kUnknown and for
// any value outside the table.
constexpr std::string_view OperationName(Operation op) { return operation_table::RowOf(op).name; }

// The provider whose API defines the operation (kS3 also for S3-compatible stores); nullopt for
// kUnknown, which every provider's recogniser reports.
constexpr std::optional<Provider> OperationProvider(Operation op) {
  return operation_table::RowOf(op).provider;
}

// The operation's usual effect (see the kind column above); kOther for kUnknown.
constexpr OperationKind OperationKindOf(Operation op) { return operation_table::RowOf(op).kind; }

// Inverse of OperationName, for names read back from a ledger or a test; nullopt for a name not
// in the table. "Unknown" gives kUnknown. A linear scan: not for the per-request path.
constexpr std::optional<Operation> OperationFromName(std::string_view name) {
  for (size_t i = 0; i < kOperationCount; ++i) {
    if (operation_table::kRows[i].name == name) return static_cast<Operation>(i);
  }
  return std::nullopt;
}

}  // namespace bw::storage
