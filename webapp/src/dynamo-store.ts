import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { Entry, GuestbookStore } from './store';

const PARTITION = 'guestbook';

/**
 * DynamoDB: one item per entry under a single partition key, sorted by a time-ordered id,
 * so the newest entries are one Query away. The table has a string partition key `pk` and a
 * string sort key `sk` (the library's serverless tiers create it that way).
 */
export class DynamoStore implements GuestbookStore {
  public readonly kind = 'dynamodb';
  private readonly client: DynamoDBClient;

  constructor(private readonly tableName: string, client?: DynamoDBClient) {
    this.client = client ?? new DynamoDBClient({});
  }

  async list(limit: number): Promise<Entry[]> {
    const out = await this.client.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: PARTITION } },
      ScanIndexForward: false,
      Limit: limit,
    }));
    return (out.Items ?? []).map((item) => ({
      id: Number(item.sk.S),
      name: item.name.S!,
      message: item.message.S!,
      createdAt: item.createdAt.S!,
    }));
  }

  async add(name: string, message: string): Promise<Entry> {
    const now = new Date();
    // Milliseconds and a random suffix: ordered by time, unique enough for a guestbook, and a safe integer.
    const id = now.getTime() * 1000 + Math.floor(Math.random() * 1000);
    const entry: Entry = { id, name, message, createdAt: now.toISOString() };
    await this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: {
        pk: { S: PARTITION }, sk: { S: String(id).padStart(16, '0') },
        name: { S: name }, message: { S: message }, createdAt: { S: entry.createdAt },
      },
      ConditionExpression: 'attribute_not_exists(sk)',
    }));
    return entry;
  }

  async ping(): Promise<void> {
    await this.client.send(new QueryCommand({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: PARTITION } },
      Limit: 1,
    }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
