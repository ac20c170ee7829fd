/** The event id of protocol/event-id.ts (a module without zod, so the dashboard bundle stays free of it). */
export { eventId } from "../../../protocol/event-id.js";
