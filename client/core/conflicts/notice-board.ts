// This device's notices (library updates), possible duplicates, and which resolution records the
// person has seen here: in memory for the app to read, written through to storage.
// Specification: docs/conflicts.md
import type { EntityRecord } from "../entities/entity-record.js";
import type { RecordStore, UnreadableRecord } from "../storage/record-store.js";
import type { DuplicateFlag, LibraryNotice } from "./notices.js";

export class NoticeBoard {
  private readonly notices = new Map<string, LibraryNotice>();
  private readonly duplicates = new Map<string, DuplicateFlag>();
  private readonly seen = new Set<string>();

  constructor(
    private readonly noticeStore: RecordStore<LibraryNotice>,
    private readonly duplicateStore: RecordStore<DuplicateFlag>,
    private readonly seenStore: RecordStore<{ id: string }>,
  ) {}

  /** Reads what the board keeps; a notice, flag or mark that does not read is returned and left out. */
  async load(): Promise<UnreadableRecord[]> {
    const [notices, duplicates, seen] = await Promise.all([this.noticeStore.readable(), this.duplicateStore.readable(), this.seenStore.readable()]);
    // Notices of other kinds were written before resolution records moved into the documents.
    for (const n of notices.values) if ((n as { kind: string }).kind === "library_updated") this.notices.set(n.id, n);
    for (const d of duplicates.values) this.duplicates.set(d.id, d);
    for (const s of seen.values) this.seen.add(s.id);
    return [...notices.unreadable, ...duplicates.unreadable, ...seen.unreadable];
  }

  libraryNotices(): LibraryNotice[] {
    return [...this.notices.values()].sort((a, b) => b.at - a.at);
  }

  /** The relay's exercise library added or changed an entry (announced once the device had the library). */
  async addLibraryChange(entityId: string, change: LibraryNotice["change"], at: number): Promise<void> {
    const notice: LibraryNotice = { id: `${entityId}:library:${at}`, kind: "library_updated", entityId, entityType: "exercise_definition", change, at };
    await this.noticeStore.put(notice.id, notice);
    this.notices.set(notice.id, notice);
  }

  async dismissLibraryNotice(id: string): Promise<boolean> {
    if (!this.notices.has(id)) return false;
    await this.noticeStore.remove(id);
    this.notices.delete(id);
    return true;
  }

  isSeen(id: string): boolean {
    return this.seen.has(id);
  }

  async markSeen(ids: string[]): Promise<void> {
    for (const id of ids) {
      if (this.seen.has(id)) continue;
      await this.seenStore.put(id, { id });
      this.seen.add(id);
    }
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
      // Two workouts in one minute on one device were logged there on purpose; a duplicate is
      // the same session logged on two devices.
      if (sameCreator(record, other)) continue;
      const [first, second] = [record, other].sort((a, b) => (a.id < b.id ? -1 : 1)) as [EntityRecord, EntityRecord];
      const id = `${first.id}+${second.id}`;
      if (this.duplicates.has(id)) continue;
      const flag: DuplicateFlag = {
        id,
        entityType: "workout",
        entityIds: [first.id, second.id],
        devices: [first.summary.createdBy ?? null, second.summary.createdBy ?? null],
        at: now,
      };
      await this.duplicateStore.put(id, flag);
      this.duplicates.set(id, flag);
      raised = true;
    }
    return raised;
  }
}

function sameCreator(a: EntityRecord, b: EntityRecord): boolean {
  const [x, y] = [a.summary.createdBy?.id, b.summary.createdBy?.id];
  return x !== undefined && x === y;
}
