import { useEffect, useState } from "preact/hooks";

/** The dashboard's views; the URL hash (#/board) says which one is shown, so reload and links keep it. */
export const TABS = [
  { id: "fleet", label: "Fleet" },
  { id: "board", label: "Partitions" },
  { id: "events", label: "Events" },
  { id: "alerts", label: "Alerts" },
  { id: "live", label: "Live" },
  { id: "people", label: "People" },
  { id: "search", label: "Search" },
  { id: "faces", label: "Unknown faces" },
  { id: "audit", label: "Audit" },
] as const;

export type TabId = (typeof TABS)[number]["id"];

function tabFromHash(): TabId {
  const id = location.hash.replace(/^#\/?/, "").split("/")[0];
  return TABS.find((tab) => tab.id === id)?.id ?? "fleet";
}

export function useTab(): TabId {
  const [tab, setTab] = useState<TabId>(tabFromHash);
  useEffect(() => {
    const update = () => setTab(tabFromHash());
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return tab;
}
