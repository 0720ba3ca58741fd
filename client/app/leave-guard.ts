// A value typed into a stored workout is saved when the person leaves the field; one still being
// typed when the page is closed or reloaded would be lost, so the browser asks first. (A new
// workout needs no warning: it is kept as a draft at every keystroke.)
import { useEffect } from "react";

const typing = new Set<symbol>();

function onBeforeUnload(event: BeforeUnloadEvent): void {
  if (typing.size === 0) return;
  event.preventDefault();
}

/** While `dirty`, closing or reloading the page asks the person first. */
export function useLeaveGuard(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    const token = Symbol("typing");
    if (typing.size === 0) window.addEventListener("beforeunload", onBeforeUnload);
    typing.add(token);
    return () => {
      typing.delete(token);
      if (typing.size === 0) window.removeEventListener("beforeunload", onBeforeUnload);
    };
  }, [dirty]);
}
