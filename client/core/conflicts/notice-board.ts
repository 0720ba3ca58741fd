// Notices and possible duplicates: in memory for the app to read, written through to storage.
import type { EntityRecord } from "../sync/records.js";
import type { RecordStore } from "../storage/records.js";
import type { DuplicateFlag, Notice } from "./records.js";

export class NoticeBoard {
  private readonly notices = new Map<string, Notice>();
  private readonly duplicates = new Map<string, DuplicateFlag>();

  constructor(
    private readonly noticeStore: RecordStore<Notice>,
    private readonly duplicateStore: RecordStore<DuplicateFlag>,
  ) {}

  async load(): Promise<void> {
    for (const n of await this.noticeStore.all()) this.notices.set(n.id, n);
    for (const d of await this.duplicateStore.all()) this.duplicates.set(d.id, d);
  }

  allNotices(): Notice[] {
    return [...this.notices.values()].sort((a, b) => b.at - a.at);
  }

  notice(id: string): Notice | undefined {
    return this.notices.get(id);
  }

  async addNotice(notice: Notice): Promise<void> {
    await this.noticeStore.put(notice.id, notice);
    this.notices.set(notice.id, notice);
  }

  async dismissNotice(id: string): Promise<void> {
    await this.noticeStore.remove(id);
    this.notices.delete(id);
  }

  allDuplicates(): DuplicateFlag[] {
    return [...this.duplicates.values()];
  }

  duplicate(id: string): DuplicateFlag | undefined {
    return this.duplicates.get(id);
  }

  async dismissDuplicate(id: string): Promise<void> {
    await this.duplicateStore.remove(id);
    this.duplicates.delete(id);
  }

  /**
   * Flags `record` when another live workout starts in the same minute: one person does not
   * train twice at once, so it is likely one session logged on two devices.
   * Returns true when a new flag was raised.
   */
  async checkDuplicate(record: EntityRecord, others: EntityRecord[], now: number): Promise<boolean> {
    if (record.type !== "workout" || record.summary.deleted) return false;
    const minute = Math.floor(record.summary.date / 60_000);
    let raised = false;
    for (const other of others) {
      if (other.id === record.id || other.type !== "workout" || other.summary.deleted) continue;
      if (Math.floor(other.summary.date / 60_000) !== minute) continue;
      const pair = [record.id, other.id].sort() as [string, string];
      const id = pair.join("+");
      if (this.duplicates.has(id)) continue;
      const flag: DuplicateFlag = { id, entityType: "workout", entityIds: pair, at: now };
      await this.duplicateStore.put(id, flag);
      this.duplicates.set(id, flag);
      raised = true;
    }
    return raised;
  }
}
