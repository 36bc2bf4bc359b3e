/** One guestbook entry as the API returns it. */
export interface Entry {
  readonly id: number;
  readonly name: string;
  readonly message: string;
  readonly createdAt: string;
}

/** What the app needs from storage; one driver per backing service. */
export interface GuestbookStore {
  /** Short name of the backing service, shown by the health route. */
  readonly kind: string;
  /** Newest entries first. */
  list(limit: number): Promise<Entry[]>;
  add(name: string, message: string): Promise<Entry>;
  /** Throws when the backing service cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const LIMITS = { name: 80, message: 500, list: 100, bodyBytes: 16 * 1024 } as const;
