import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { ApiRoleName } from "../../../protocol/api.js";

/**
 * The role of the logged-in session (GET /api/session, or POST /api/login's answer). The views hide or disable
 * what needs the operator role when it is a viewer's; the server refuses those requests (403) either way.
 */
export const RoleContext = createContext<ApiRoleName>("viewer");

/** Whether this session may move, pin, drain, enroll, correct, delete, name, dismiss and set alerts. */
export function useCanOperate(): boolean {
  return useContext(RoleContext) === "operator";
}
