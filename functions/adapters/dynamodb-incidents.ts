import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Incident, IncidentStatus } from '../domain/incidents';
import type { ListPlan } from './list-plans';
import type { IncidentStore, Page } from '../ports/escalation-repository';
import { VersionConflictError } from '../ports/errors';
import { incidentKey, incidentIndexAttributes, incidentStatusPartition } from './table-design';
import { incidentFromItem } from './stored-items';
import { TableStore, conditionFailed } from './table-store';

// Incidents: one problem hitting many customers, with its own status index.

/** An incident as stored: with its place in the status index, which every write must carry (a Put replaces the item). */
const incidentItem = (incident: Incident) => ({ ...incidentKey(incident.id), ...incident, ...incidentIndexAttributes(incident) });


export class DynamoDbIncidentStore extends TableStore implements IncidentStore {
  async createIncident(incident: Incident) {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: incidentItem(incident), ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async getIncident(id: string) {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: incidentKey(id), ConsistentRead: true }));
    return Item ? incidentFromItem(Item) : undefined;
  }

  async saveIncident(incident: Incident, expectedVersion: number) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: incidentItem(incident),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if (conditionFailed(error)) throw new VersionConflictError(`incident ${incident.id} changed since version ${expectedVersion}`, { cause: error });
      throw error;
    }
  }

  async listIncidents(status: IncidentStatus, page: { limit: number; cursor?: string }): Promise<Page<Incident>> {
    const plan: ListPlan = {
      lanes: [{ index: 'byStatusAndDeadline', ascending: false, partition: incidentStatusPartition(status) }],
      byMonth: false,
      fingerprint: `incidents-${status}`,
    };
    return this.listPage(plan, page, incidentFromItem, (incident) => incident.status === status);
  }
}
