// Validation of one SyncItem's envelope, before any document is touched.
// Specification: docs/relay.md
import { entityIdSchema, isEntityType, type EntityType } from "../../schema/entities.js";
import { CONFLICT_STRATEGIES } from "../../schema/strategies.js";
import { Code } from "../../schema/status.js";
import { Operation, type SyncItem } from "../../schema/protocol/frames.js";

export interface CheckedItem {
  entityType: EntityType;
  entityId: string;
  operation: Operation;
  changes: Uint8Array;
  baseVersion: number;
}

export interface ItemFailure {
  code: Code;
  message: string;
}

export function checkItem(item: SyncItem): CheckedItem | ItemFailure {
  if (!isEntityType(item.entityType)) {
    return { code: Code.INVALID_ARGUMENT, message: `unknown entity type "${item.entityType.slice(0, 64)}"` };
  }
  if (!entityIdSchema.safeParse(item.entityId).success) {
    return { code: Code.INVALID_ARGUMENT, message: "entity id must be an Automerge document id" };
  }
  if (!CONFLICT_STRATEGIES[item.entityType].deviceWritable) {
    return { code: Code.PERMISSION_DENIED, message: `${item.entityType} is server authoritative; devices only read it` };
  }
  if (item.operation === Operation.OPERATION_UNSPECIFIED || !(item.operation in Operation)) {
    return { code: Code.INVALID_ARGUMENT, message: "operation must be create, update or delete" };
  }
  if (item.version < 0) return { code: Code.INVALID_ARGUMENT, message: "version must not be negative" };
  if (item.data.length === 0) return { code: Code.INVALID_ARGUMENT, message: "item carries no changes" };
  return {
    entityType: item.entityType,
    entityId: item.entityId,
    operation: item.operation,
    changes: item.data,
    baseVersion: item.version,
  };
}

export function isFailure(value: CheckedItem | ItemFailure): value is ItemFailure {
  return "code" in value;
}
