// Drives Azurite with @azure/storage-blob and prints one JSON line per request it made with what
// the server answered, for the azure_* scenarios to check against their intentions.
//   node azure_blob.mjs MODE ENDPOINT      ENDPOINT = http://127.0.0.1:PORT/devstoreaccount1
// MODE: seed (containers + blobs, before the capture), sharedkey, sas, sas-urls (prints SAS URLs,
// no traffic), anonymous.
import {
  BlobServiceClient, ContainerClient, StorageSharedKeyCredential, AnonymousCredential,
  ContainerSASPermissions, BlobSASPermissions, generateBlobSASQueryParameters, SASProtocol,
} from '@azure/storage-blob';

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const [mode, endpoint] = process.argv.slice(2);
if (!mode || !endpoint) {
  console.error('usage: azure_blob.mjs seed|sharedkey|sas|sas-urls|anonymous ENDPOINT');
  process.exit(2);
}
if (!['127.0.0.1', 'localhost'].includes(new URL(endpoint).hostname)) {
  console.error(`refusing non-loopback endpoint ${endpoint}`);
  process.exit(2);
}

// One request per call: no retries to account for.
const options = { retryOptions: { maxTries: 1 }, keepAliveOptions: { enable: true } };
const sharedKey = new StorageSharedKeyCredential(ACCOUNT, KEY);
const service = new BlobServiceClient(endpoint, sharedKey, options);

function emit(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }

async function call(label, fn) {
  try {
    const extra = (await fn()) ?? {};
    emit({ label, ...extra, status: extra.status });
  } catch (err) {
    emit({ label, status: err.statusCode ?? 0, error_code: err.code ?? err.details?.errorCode ?? err.name });
  }
}

async function download(blobClient, offset, count) {
  const res = await blobClient.download(offset, count);
  const chunks = [];
  for await (const c of res.readableStreamBody) chunks.push(c);
  return { status: res._response.status, length: Buffer.concat(chunks).length };
}

async function listPage(containerClient, maxPageSize, continuationToken) {
  const iter = containerClient.listBlobsFlat().byPage({ maxPageSize, continuationToken });
  const page = (await iter.next()).value;
  return {
    status: page._response.status,
    list_keys: page.segment.blobItems.length,
    truncated: Boolean(page.continuationToken),
    token: page.continuationToken || null,
  };
}

const SEED = {
  'public-container': { access: 'container', blobs: { 'catalog/a.json': 'A'.repeat(300), 'catalog/b.json': 'B'.repeat(300), 'catalog/c.json': 'C'.repeat(300) } },
  'public-blobs': { access: 'blob', blobs: { 'invoices/2026-10.pdf': '%PDF-1.7 oct\n'.repeat(30), 'invoices/2026-11.pdf': '%PDF-1.7 nov\n'.repeat(30) } },
  private: { access: undefined, blobs: { 'hr/salaries.csv': 'name,salary\n'.repeat(25) } },
};

if (mode === 'seed') {
  for (const [name, spec] of Object.entries(SEED)) {
    const c = service.getContainerClient(name);
    await c.create(spec.access ? { access: spec.access } : {});
    for (const [blob, body] of Object.entries(spec.blobs)) {
      await c.getBlockBlobClient(blob).upload(body, Buffer.byteLength(body));
    }
  }
  emit({ seeded: Object.keys(SEED) });
} else if (mode === 'sharedkey') {
  await call('ListContainers', async () => {
    const page = (await service.listContainers().byPage().next()).value;
    return { status: page._response.status, list_keys: page.containerItems.length,
      names: page.containerItems.map((c) => c.name) };
  });
  const pub = service.getContainerClient('public-container');
  let first;
  await call('ListBlobs', async () => (first = await listPage(pub, 2)));
  await call('ListBlobs', async () => listPage(pub, 2, first.token));
  const upload = pub.getBlockBlobClient('uploads/report.txt');
  await call('PutBlob', async () => {
    const r = await upload.upload('report\n'.repeat(20), 140);
    return { status: r._response.status };
  });
  await call('GetBlobProperties', async () => {
    const r = await upload.getProperties();
    return { status: r._response.status, length: r.contentLength };
  });
  await call('GetBlob', async () => download(upload));
  await call('GetBlobRange', async () => download(pub.getBlobClient('catalog/a.json'), 0, 16));
  await call('GetBlobMissing', async () => download(pub.getBlobClient('catalog/z.json')));
  await call('DeleteBlob', async () => {
    const r = await upload.delete();
    return { status: r._response.status };
  });
  const priv = service.getContainerClient('private');
  await call('ListBlobsPrivate', async () => listPage(priv, 100));
  await call('GetBlobPrivate', async () => download(priv.getBlobClient('hr/salaries.csv')));
} else if (mode === 'sas-urls') {
  const expiresOn = new Date(Date.now() + 3600 * 1000);
  const containerSas = generateBlobSASQueryParameters({
    containerName: 'private', permissions: ContainerSASPermissions.parse('rl'), expiresOn,
    protocol: SASProtocol.HttpsAndHttp,
  }, sharedKey).toString();
  const blobSas = generateBlobSASQueryParameters({
    containerName: 'private', blobName: 'hr/salaries.csv', permissions: BlobSASPermissions.parse('r'), expiresOn,
    protocol: SASProtocol.HttpsAndHttp,
  }, sharedKey).toString();
  emit({ container: `${endpoint}/private?${containerSas}`, blob: `${endpoint}/private/hr/salaries.csv?${blobSas}` });
} else if (mode === 'sas') {
  const url = process.argv[4];
  const c = new ContainerClient(url, new AnonymousCredential(), options);
  await call('ListBlobs', async () => listPage(c, 100));
  await call('GetBlob', async () => download(c.getBlobClient('hr/salaries.csv')));
  await call('PutBlobDenied', async () => {
    const r = await c.getBlockBlobClient('hr/new.csv').upload('x', 1);  // the SAS grants rl only
    return { status: r._response.status };
  });
} else if (mode === 'anonymous') {
  const anon = new BlobServiceClient(endpoint, new AnonymousCredential(), options);
  const pc = anon.getContainerClient('public-container');
  const pb = anon.getContainerClient('public-blobs');
  const pv = anon.getContainerClient('private');
  await call('ListBlobsContainerLevel', async () => listPage(pc, 100));
  await call('GetBlobContainerLevel', async () => download(pc.getBlobClient('catalog/b.json')));
  await call('GetBlobRangeContainerLevel', async () => download(pc.getBlobClient('catalog/c.json'), 10, 20));
  await call('ListBlobsBlobLevel', async () => listPage(pb, 100));
  await call('GetBlobBlobLevel', async () => download(pb.getBlobClient('invoices/2026-11.pdf')));
  await call('ListBlobsPrivate', async () => listPage(pv, 100));
  await call('GetBlobPrivate', async () => download(pv.getBlobClient('hr/salaries.csv')));
  await call('ListContainers', async () => {
    const page = (await anon.listContainers().byPage().next()).value;
    return { status: page._response.status, list_keys: page.containerItems.length };
  });
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
