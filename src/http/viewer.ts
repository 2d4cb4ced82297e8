/** The signed-in person making a request, with what they belong to. */
export interface Viewer {
  userId: string;
  displayName: string;
  email: string;
  /** Instance administrator. */
  isAdmin: boolean;
  locale: string;
  timeZone: string;
  /** Organization id → role in it. */
  roles: Map<string, 'admin' | 'coordinator' | 'member' | 'viewer'>;
  /** Organizations that share a current network membership with one of the viewer's organizations. */
  networkPeers: Set<string>;
  /** Hash of the session this request came with. */
  sessionId: string;
}
