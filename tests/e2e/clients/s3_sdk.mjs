// Drives s3rver with @aws-sdk/client-s3 (SigV4) and prints one JSON line per API call with what
// the server answered, for tests/e2e/scenarios/s3_sdk_js.py to check against its intentions.
//   node s3_sdk.mjs calls   ENDPOINT BUCKET
//   node s3_sdk.mjs presign ENDPOINT BUCKET KEY   (prints a presigned GET and PUT URL; no traffic)
import {
  S3Client, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, GetObjectCommand,
  HeadObjectCommand, HeadBucketCommand, DeleteObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

const [mode, endpoint, bucket, key] = process.argv.slice(2);
if (!mode || !endpoint || !bucket) {
  console.error('usage: s3_sdk.mjs calls|presign ENDPOINT BUCKET [KEY]');
  process.exit(2);
}
const url = new URL(endpoint);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
  console.error(`refusing non-loopback endpoint ${endpoint}`);
  process.exit(2);
}

const base = {
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  maxAttempts: 1,  // one request per call: no retries to account for
  // Plain PutObject bodies (no aws-chunked trailers) and no checksum side requirements.
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
};
const signed = new S3Client(base);
// Anonymous: a signer that leaves the request as it is (what the SDK docs suggest for public data).
const anonymous = new S3Client({ ...base, signer: { sign: async (request) => request } });

function emit(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

async function call(label, client, command, summarise = () => ({})) {
  try {
    const out = await client.send(command);
    emit({ label, status: out.$metadata.httpStatusCode, ...(await summarise(out)) });
  } catch (err) {
    emit({ label, status: err.$metadata?.httpStatusCode ?? 0, error_code: err.Code ?? err.name });
  }
}

const listed = (out) => ({
  list_keys: (out.Contents ?? []).length + (out.CommonPrefixes ?? []).length,
  truncated: Boolean(out.IsTruncated),
  token: out.NextContinuationToken ?? null,
});

if (mode === 'presign') {
  const get = await getSignedUrl(signed, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 600 });
  const put = await getSignedUrl(signed, new PutObjectCommand({ Bucket: bucket, Key: `${key}.copy` }),
    { expiresIn: 600 });
  emit({ get, put });
  process.exit(0);
}

await call('ListBuckets', signed, new ListBucketsCommand({}),
  (out) => ({ buckets: (out.Buckets ?? []).map((b) => b.Name) }));
await call('HeadBucket', signed, new HeadBucketCommand({ Bucket: bucket }));
await call('PutObject', signed, new PutObjectCommand({
  Bucket: bucket, Key: 'sdk/upload-1.json', Body: JSON.stringify({ n: 1, pad: 'x'.repeat(200) }),
  ContentType: 'application/json',
}));
await call('PutObject', signed, new PutObjectCommand({
  Bucket: bucket, Key: 'sdk/upload 2.json', Body: JSON.stringify({ n: 2 }), ContentType: 'application/json',
}));
// Paged listing: MaxKeys 2 over the 3 keys under sdk/.
let page = await (async () => {
  try {
    const out = await signed.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'sdk/', MaxKeys: 2 }));
    const s = listed(out);
    emit({ label: 'ListObjectsV2', status: out.$metadata.httpStatusCode, ...s });
    return s;
  } catch (err) {
    emit({ label: 'ListObjectsV2', status: err.$metadata?.httpStatusCode ?? 0, error_code: err.Code ?? err.name });
    return null;
  }
})();
if (page?.token) {
  await call('ListObjectsV2', signed, new ListObjectsV2Command({
    Bucket: bucket, Prefix: 'sdk/', MaxKeys: 2, ContinuationToken: page.token,
  }), listed);
}
await call('HeadObject', signed, new HeadObjectCommand({ Bucket: bucket, Key: 'sdk/seed.bin' }),
  (out) => ({ length: out.ContentLength }));
await call('GetObject', signed, new GetObjectCommand({ Bucket: bucket, Key: 'sdk/seed.bin' }),
  async (out) => ({ length: (await out.Body.transformToByteArray()).length }));
await call('GetObjectRange', signed, new GetObjectCommand({ Bucket: bucket, Key: 'sdk/seed.bin', Range: 'bytes=0-15' }),
  async (out) => ({ length: (await out.Body.transformToByteArray()).length }));
await call('GetObjectMissing', signed, new GetObjectCommand({ Bucket: bucket, Key: 'sdk/missing.bin' }));
await call('DeleteObject', signed, new DeleteObjectCommand({ Bucket: bucket, Key: 'sdk/upload-1.json' }));
await call('AnonymousListObjectsV2', anonymous, new ListObjectsV2Command({ Bucket: bucket }), listed);
await call('AnonymousGetObject', anonymous, new GetObjectCommand({ Bucket: bucket, Key: 'sdk/seed.bin' }),
  async (out) => ({ length: (await out.Body.transformToByteArray()).length }));
