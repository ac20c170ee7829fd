import type { AddPhotoResult, PeopleList, PersonChange, PhotoRejection } from "../../protocol/api-people.js";

/**
 * What the API's people routes call (people-service.ts implements it). Unknown people throw
 * ControlError("not-found"), existing ones on create ControlError("conflict") (coordinator/control.ts).
 */
export interface PeopleControl {
  list(): PeopleList;
  /** A person without photos: held by the coordinator until the first photo publishes the record. */
  create(name: string): Promise<PersonChange>;
  /** Decode → detect → the subject's face (recognition/dominant-face.ts) → align → embed, then publish the person's record. Throws PhotoRejectedError, ModelsUnavailableError. */
  addPhoto(name: string, image: Buffer): Promise<AddPhotoResult>;
  /** A tombstone on the gallery topic (or only forgetting a person without photos). */
  remove(name: string): Promise<PersonChange>;
}

/** The photo has no usable face of its subject (422). */
export class PhotoRejectedError extends Error {
  constructor(
    readonly reason: PhotoRejection,
    message: string,
  ) {
    super(message);
    this.name = "PhotoRejectedError";
  }
}

/** The recognition models could not be loaded (503). */
export class ModelsUnavailableError extends Error {
  override readonly name = "ModelsUnavailableError";
}
