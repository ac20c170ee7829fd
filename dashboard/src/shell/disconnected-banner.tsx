/** Shown while the live stream is down: what is on screen may be stale; the client keeps reconnecting. */
export function DisconnectedBanner() {
  return (
    <div class="banner banner-warning" role="status" data-testid="disconnected">
      Disconnected from the coordinator — reconnecting. What you see may be out of date.
    </div>
  );
}
