// The rows of the workout list, virtualised: a person with years of training has thousands of
// workouts, and only the rows near the screen are in the DOM (@tanstack/react-virtual, on the
// page's own scroll, so the list scrolls as the page always did). What stays accessible:
// - each row says where it is ("12 of 3000") through aria-posinset and aria-setsize, since the
//   list element holds only some of its items;
// - Tab walks the rows: the browser scrolls the focused row into view, which brings the next rows
//   in; and the focused row is always kept in the DOM, so scrolling away does not drop the focus.
//   Its neighbours are drawn with it as soon as it takes the focus, not when the scroll that
//   follows is rendered: on a busy phone a quick Tab would otherwise find the next row not drawn
//   yet and leave the list.
import { defaultRangeExtractor, useWindowVirtualizer, type Range } from "@tanstack/react-virtual";
import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from "react";
import type { EntityListItem } from "../core/index.js";
import { formatDate } from "./dates.js";
import { SyncBadge } from "./sync-badge.js";
import { routeHref } from "./use-route.js";

/** A row's height before it is measured (title, date, badge; 0.5rem between rows). */
const ROW_ESTIMATE_PX = 72;
/** Rows drawn beyond each edge of the screen, so a fast flick does not show blank space. */
const OVERSCAN = 6;

export function WorkoutRows({ workouts }: { workouts: EntityListItem[] }) {
  const list = useRef<HTMLUListElement>(null);
  const [focused, setFocused] = useState<number | null>(null);
  const listTop = useListTop(list);
  const keepFocused = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      if (focused === null) return indexes;
      const kept = [focused - 1, focused, focused + 1].filter((i) => i >= 0 && i < range.count);
      return [...new Set([...indexes, ...kept])].sort((a, b) => a - b);
    },
    [focused],
  );
  const rows = useWindowVirtualizer({
    count: workouts.length,
    estimateSize: () => ROW_ESTIMATE_PX,
    overscan: OVERSCAN,
    scrollMargin: listTop,
    getItemKey: (index) => workouts[index]?.id ?? index,
    rangeExtractor: keepFocused,
  });

  return (
    <ul ref={list} className="workout-list workout-list-virtual" aria-label="Workouts" style={{ height: rows.getTotalSize() }}>
      {rows.getVirtualItems().map((row) => {
        const w = workouts[row.index];
        if (!w) return null;
        return (
          <li
            key={row.key}
            ref={rows.measureElement}
            data-index={row.index}
            aria-setsize={workouts.length}
            aria-posinset={row.index + 1}
            style={{ transform: `translateY(${row.start - listTop}px)` }}
            onFocus={() => setFocused(row.index)}
            onBlur={(event) => {
              // Row to row, the next row's focus sets the index: clearing it here first would let
              // a render between the two events remove the row about to take the focus.
              if (!(event.relatedTarget instanceof Node && list.current?.contains(event.relatedTarget))) setFocused(null);
            }}
          >
            <a className="workout-item" href={routeHref({ screen: "workout", id: w.id })} data-testid="workout-item" data-id={w.id}>
              <span className="workout-item-main">
                <span className="workout-item-title">{w.title}</span>
                <span className="workout-item-date">{formatDate(w.date)}</span>
              </span>
              <SyncBadge state={w.syncState} />
            </a>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Where the list starts on the page, for the virtualiser's scroll margin: what is above it (the
 * draft, the start buttons, a prompt) changes its place, so it is measured after every render.
 */
function useListTop(list: RefObject<HTMLUListElement | null>): number {
  const [top, setTop] = useState(0);
  useLayoutEffect(() => {
    const element = list.current;
    if (!element) return;
    const measured = Math.round(element.getBoundingClientRect().top + window.scrollY);
    if (measured !== top) setTop(measured);
  });
  return top;
}
