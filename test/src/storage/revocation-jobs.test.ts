import { TableClient } from '@azure/data-tables';

import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { ConcurrentChangeError } from '../../../src/domain/model';
import { IntentRepository } from '../../../src/storage/intent-repository';
import { MappingRepository } from '../../../src/storage/mapping-repository';
import { RevocationJobRepository } from '../../../src/storage/revocation-jobs';

const issuer = 'https://issuer.example.com';
const other = "https://other.example.com/it's";
const resource = 'https://acs.example.communication.azure.com';
const caller = { kind: 'caller' as const };

/** The revocation-job adapter against real Table storage (Azurite in memory): ETags, the paged mapping scan. */
describe('RevocationJobRepository', () => {
  let azurite: RunningAzurite;
  let jobs: RevocationJobRepository;
  let mappings: MappingRepository;

  beforeAll(async () => {
    azurite = await startAzurite({ blobPort: 0, queuePort: 0, tablePort: 0 });
    const table = TableClient.fromConnectionString(azurite.connectionString, 'IdentityMappings', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    jobs = new RevocationJobRepository(table, 5000);
    mappings = new MappingRepository(table, 5000);
    for (let i = 0; i < 7; i += 1)
      await mappings.create({ issuer, userId: `user-${i}` }, { communicationUserId: `8:acs:${i}`, resource }, caller);
    for (let i = 0; i < 3; i += 1)
      await mappings.create(
        { issuer: other, userId: `other-${i}` },
        { communicationUserId: `8:acs:o${i}`, resource },
        caller,
      );
    // A tombstone, an intent and audit rows share the table: the scan reads mapping rows only.
    const gone = (await mappings.get({ issuer, userId: 'user-6' }))!;
    await mappings.remove(gone, caller);
    await new IntentRepository(table, 5000).putIntent('create', { issuer, userId: 'user-x' });
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('creates, reads, finds the running job and updates it on its ETag only', async () => {
    const actor = { issuer, userId: 'ops' };
    const job = await jobs.createJob({ action: 'revoke', issuer, actor });
    expect(job.id).toMatch(/^[0-9]{16}-[0-9a-f]{16}$/);
    expect(await jobs.getJob(job.id)).toEqual(job);
    expect((await jobs.findRunningJob())?.id).toBe(job.id);
    const claimed = await jobs.updateJob({
      ...job,
      claimedBy: 'msg-1',
      claimedUntil: new Date('2030-01-01T00:00:00Z'),
      page: 1,
      continuationToken: 'token',
      processed: 3,
    });
    expect(await jobs.getJob(job.id)).toMatchObject({
      claimedBy: 'msg-1',
      claimedUntil: new Date('2030-01-01T00:00:00Z'),
      page: 1,
      continuationToken: 'token',
      processed: 3,
      actor,
    });
    await expect(jobs.updateJob({ ...job, processed: 99 })).rejects.toBeInstanceOf(ConcurrentChangeError);
    const { claimedBy: _c, claimedUntil: _u, continuationToken: _t, ...released } = claimed;
    await jobs.updateJob({ ...released, state: 'done' });
    expect(await jobs.getJob(job.id)).not.toHaveProperty('claimedBy');
    expect(await jobs.findRunningJob()).toBeUndefined();
    expect(await jobs.getJob('not-a-job-id')).toBeUndefined();
    expect(await jobs.getJob('0000000000000000-0000000000000000')).toBeUndefined();
  });

  it('keeps a job over every issuer without an issuer', async () => {
    const job = await jobs.createJob({ action: 'delete', actor: { issuer, userId: 'ops' } });
    expect(await jobs.getJob(job.id)).not.toHaveProperty('issuer');
  });

  const scan = async (scope: string | undefined, pageSize: number) => {
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await jobs.listMappings(scope, pageSize, token);
      pages.push(page.mappings.map((mapping) => mapping.user.userId));
      token = page.continuationToken;
    } while (token);
    return pages;
  };

  it("scans one issuer's live mappings page by page with continuation tokens (quotes in the issuer escaped)", async () => {
    const pages = await scan(issuer, 2);
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    expect(pages.flat().sort()).toEqual(['user-0', 'user-1', 'user-2', 'user-3', 'user-4', 'user-5']);
    expect((await scan(other, 10)).flat().sort()).toEqual(['other-0', 'other-1', 'other-2']);
  });

  it('scans every issuer when none is given', async () => {
    expect((await scan(undefined, 4)).flat()).toHaveLength(9);
  });
});
