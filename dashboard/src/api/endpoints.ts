import type { AgentView, LoginResult, PlanChangeResult, PlanView, SessionView } from "../../../protocol/api.js";
import type { AuditList } from "../../../protocol/api-audit.js";
import type { CorrectionBody, CorrectionResult, EventView, UnknownAlertSetting, UnknownAlertsView } from "../../../protocol/api-events.js";
import type { DismissClusterResult, FaceClusterList, FaceSearchResult, NameClusterResult } from "../../../protocol/api-faces.js";
import type { CameraList } from "../../../protocol/api-media.js";
import type { AddPhotoResult, ForgetResult, PeopleList, PersonChange } from "../../../protocol/api-people.js";
import { request } from "./http.js";

/** The coordinator's REST API, one function per route. */

export type Credentials = { token: string } | { password: string };

export const login = (credentials: Credentials) => request<LoginResult>("POST", "/api/login", credentials, { quiet401: true });
export const logout = () => request<unknown>("POST", "/api/logout");
/** The session's role; a 401 (quiet: the login page shows) when the cookie is not good. */
export const fetchSession = () => request<SessionView>("GET", "/api/session", undefined, { quiet401: true });

export const fetchAgents = () => request<{ agents: AgentView[] }>("GET", "/api/agents");
export const fetchPlan = () => request<PlanView>("GET", "/api/plan");

const partitionPath = (partition: number) => `/api/partitions/${encodeURIComponent(String(partition))}`;
const agentPath = (agent: string) => `/api/agents/${encodeURIComponent(agent)}`;

export const movePartition = (partition: number, agent: string) =>
  request<PlanChangeResult>("POST", `${partitionPath(partition)}/move`, { agent });
export const pinPartition = (partition: number, agent: string) =>
  request<PlanChangeResult>("PUT", `${partitionPath(partition)}/pin`, { agent });
export const unpinPartition = (partition: number) => request<PlanChangeResult>("DELETE", `${partitionPath(partition)}/pin`);
export const drainAgent = (agent: string) => request<PlanChangeResult>("POST", `${agentPath(agent)}/drain`);
export const undrainAgent = (agent: string) => request<PlanChangeResult>("POST", `${agentPath(agent)}/undrain`);

/** Live view: cameras with annotated frames, and each one's newest JPEG. */
export const fetchCameras = () => request<CameraList>("GET", "/api/cameras");
export const latestFrameUrl = (camera: string, time: number | null) =>
  `/api/cameras/${encodeURIComponent(camera)}/latest.jpg${time === null ? "" : `?t=${time}`}`;

/** People / enrollment (protocol/api-people.ts). A photo is base64 of its JPEG/PNG bytes. */
const personPath = (name: string) => `/api/people/${encodeURIComponent(name)}`;
export const fetchPeople = () => request<PeopleList>("GET", "/api/people");
export const createPerson = (name: string) => request<PersonChange>("POST", "/api/people", { name });
export const uploadPhoto = (name: string, image: string) => request<AddPhotoResult>("POST", `${personPath(name)}/photos`, { image });
export const deletePerson = (name: string) => request<PersonChange>("DELETE", personPath(name));
export const forgetPerson = (name: string) => request<ForgetResult>("POST", `${personPath(name)}/forget`);

/** The audit log (protocol/api-audit.ts), newest first. */
export const fetchAudit = () => request<AuditList>("GET", "/api/audit?limit=500");

/** Events, corrections and unknown-person alerts (protocol/api-events.ts). */
export type EventList = { events: EventView[] };
export const fetchEvents = () => request<EventList>("GET", "/api/events");
export const correctEvent = (id: string, body: CorrectionBody) =>
  request<CorrectionResult>("POST", `/api/events/${encodeURIComponent(id)}/correction`, body);
export const fetchUnknownAlerts = () => request<UnknownAlertsView>("GET", "/api/alerts/unknown");
export const setUnknownAlerts = (camera: string, enabled: boolean) =>
  request<UnknownAlertSetting>("PUT", `/api/alerts/unknown/${encodeURIComponent(camera)}`, { enabled });

/** Faces over time (protocol/api-faces.ts): find a face from a photo (base64); clusters of unknown faces. */
export const searchFaces = (image: string) => request<FaceSearchResult>("POST", "/api/faces/search", { image });
export const fetchFaceClusters = () => request<FaceClusterList>("GET", "/api/faces/clusters");
const clusterPath = (id: string) => `/api/faces/clusters/${encodeURIComponent(id)}`;
export const nameFaceCluster = (id: string, name: string, exclude: string[]) =>
  request<NameClusterResult>("POST", `${clusterPath(id)}/name`, exclude.length > 0 ? { name, exclude } : { name });
export const dismissFaceCluster = (id: string) => request<DismissClusterResult>("POST", `${clusterPath(id)}/dismiss`);
