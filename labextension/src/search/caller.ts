/**
 * Who the catalog takes the caller to be, as far as the page can tell: the hub's user
 * name when there is one, else the author the server answered on the caller's own
 * tags, notes and saved searches. Until it is known, every annotation offers its delete
 * and the server refuses those of others.
 */
export class CallerName {
  constructor(name: string | null = null) {
    this._name = name || null;
  }

  get name(): string | null {
    return this._name;
  }

  /** Take the author of something the caller just made. */
  learn(name: string | null | undefined): void {
    if (name) {
      this._name = name;
    }
  }

  /** Whether what `author` made is (as far as known) the caller's own, to delete. */
  owns(author: string): boolean {
    return this._name === null || this._name === author;
  }

  private _name: string | null;
}
