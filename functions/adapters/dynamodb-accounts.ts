import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Escalation } from '../domain/escalation';
import { erasedId, erasePersonalData } from '../domain/erasure';
import type { ContactDetails } from '../domain/commands';
import type { AccountStore, AccountRecords, ErasureRecord, KnownContact } from '../ports/escalation-repository';
import { VersionConflictError } from '../ports/errors';
import type { AccountProfile } from '../domain/sponsorship';
import { caseKey, contactKey, contactPartition, accountContactKey, accountItemsPartition, accountProfileKey, erasureKey, IDEMPOTENCY_REF_PREFIX, PROPOSAL_PREFIX, ACCOUNT_CONTACT_PREFIX } from './table-design';
import { accountProfileFromItem, knownContactFromItem, proposalFromItem } from './stored-items';
import { TableStore, withoutKeys, conditionFailed } from './table-store';

// The account aggregate: the contact directory inbound mail consults, the account's profile
// (executive sponsorship), its item collection (proposals, the addresses learnt), and the
// erasure of its personal data across its cases.


/**
 * The contact directory inbound mail consults: an entry per address and account, so an address
 * known in two accounts is seen to be (inbound mail then opens nothing by guessing).
 */
function contactEntry(escalation: Escalation, contact: ContactDetails) {
  return {
    ...contactKey(contact.email, escalation.customer.accountId),
    accountId: escalation.customer.accountId,
    accountName: escalation.customer.name,
    ...(escalation.customer.segment && { segment: escalation.customer.segment }),
    ...(contact.name && { name: contact.name }),
  };
}

export class DynamoDbAccountStore extends TableStore implements AccountStore {
  async rememberContacts(escalation: Escalation, contacts: ContactDetails[]) {
    // Plain puts: an entry says the same whoever writes it, so a repeated batch changes nothing.
    // Each contact twice: the directory entry inbound mail looks up, and the account's own list of
    // the addresses the directory learnt for it (export and erasure read it).
    const items = contacts.flatMap((contact) => [
      contactEntry(escalation, contact),
      { ...accountContactKey(escalation.customer.accountId, contact.email), email: contact.email.toLowerCase() },
    ]);
    await Promise.all(items.map((item) => this.db.send(new PutCommand({ TableName: this.table, Item: item }))));
  }

  async accountsForContact(email: string): Promise<KnownContact[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': contactPartition(email) }, ConsistentRead: true }),
    );
    // One entry per account the address is a contact of (sort key: the account).
    return Items.map(knownContactFromItem);
  }

  async accountProfile(accountId: string): Promise<AccountProfile | undefined> {
    const item = await this.item(accountProfileKey(accountId), true);
    return item && accountProfileFromItem(item);
  }

  async saveAccountProfile(profile: AccountProfile, expectedVersion: number) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...accountProfileKey(profile.accountId), ...profile },
          ...(expectedVersion === 0 ? { ConditionExpression: 'attribute_not_exists(pk)' } : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
    } catch (error) {
      if (conditionFailed(error)) throw new VersionConflictError(`account ${profile.accountId} changed since version ${expectedVersion}`, { cause: error });
      throw error;
    }
  }

  async eraseCaseItems(caseId: string, personal: readonly string[]) {
    let rewritten = 0;
    for (const item of await this.partitionItems(caseKey(caseId).pk)) {
      if (item.sk === caseKey(caseId).sk) continue;
      const key = { pk: String(item.pk), sk: String(item.sk) };
      if (key.sk.startsWith(IDEMPOTENCY_REF_PREFIX)) {
        // The idempotency record holds a copy of the case as it was: it goes, and its pointer with it.
        await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: String(item.recordPk), sk: 'IDEMPOTENCY' } }));
        await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
      } else {
        // An email still owed is never sent now: it leaves the owed-email index with its recipients.
        const owed = key.sk.startsWith('OUTBOX#') && item.status !== 'sent' && item.status !== 'failed';
        const erased = erasePersonalData(withoutKeys(item), personal);
        // An email's sort key names its recipient: the item moves to a key without the address.
        const erasedKey = { pk: key.pk, sk: erasedId(key.sk) };
        await this.db.send(new PutCommand({ TableName: this.table, Item: { ...erased, ...erasedKey, ...(owed && { status: 'erased' }) } }));
        if (erasedKey.sk !== key.sk) await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
      }
      rewritten++;
    }
    return rewritten;
  }

  async eraseAccountItems(accountId: string, personal: readonly string[], addresses: string[]) {
    let rewritten = 0;
    for (const item of await this.partitionItems(accountItemsPartition(accountId))) {
      const key = { pk: String(item.pk), sk: String(item.sk) };
      if (key.sk.startsWith(ACCOUNT_CONTACT_PREFIX)) await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
      else await this.db.send(new PutCommand({ TableName: this.table, Item: { ...erasePersonalData(withoutKeys(item), personal), ...key } }));
      rewritten++;
    }
    // The contact directory's entries for this account: inbound mail from these addresses no longer finds it.
    for (const address of new Set(addresses.map((entry) => entry.toLowerCase()))) {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: contactKey(address, accountId) }));
      rewritten++;
    }
    return rewritten;
  }

  async recordErasure(accountId: string, record: ErasureRecord) {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...erasureKey(accountId, record.requestedAt, record.id), ...record }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async caseItems(caseId: string): Promise<Record<string, unknown>[]> {
    return (await this.partitionItems(caseKey(caseId).pk)).map((item) => ({ sk: item.sk, ...withoutKeys(item) }));
  }

  async directoryEntries(accountId: string, emails: string[]): Promise<Record<string, unknown>[]> {
    const found = await Promise.all([...new Set(emails.map((email) => email.toLowerCase()))].map((email) => this.item(contactKey(email, accountId), true)));
    return found.flatMap((item) => (item ? [withoutKeys(item)] : []));
  }

  async accountRecords(accountId: string): Promise<AccountRecords> {
    const items = await this.partitionItems(accountItemsPartition(accountId));
    const profileItem = items.find((item) => item.sk === accountProfileKey(accountId).sk);
    return {
      ...(profileItem && { profile: accountProfileFromItem(profileItem) }),
      proposals: items.filter((item) => String(item.sk).startsWith(PROPOSAL_PREFIX)).map(proposalFromItem),
      contacts: items.filter((item) => String(item.sk).startsWith(ACCOUNT_CONTACT_PREFIX)).map((item) => String(item.email)),
    };
  }
}
