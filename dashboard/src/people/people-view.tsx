/**
 * People (enrollment) — placeholder, not built yet. Planned: list the gallery's identities
 * (facefleet.gallery), enroll a person from uploaded photos (rejecting images with 0 or >1 faces,
 * like `facefleet enroll`), remove a person, mark watchlist identities. Needs server endpoints
 * (e.g. GET/POST/DELETE /api/people) that do not exist yet.
 */
export function PeopleView() {
  return (
    <section aria-label="People" class="placeholder" data-testid="people-placeholder">
      <h2>People</h2>
      <p class="muted">
        Enrollment from the dashboard is not available yet. Enroll people with <code>facefleet enroll DIR --gallery FILE</code>.
      </p>
    </section>
  );
}
