// The error the lab's bridge throws: a Python Lab error ("user" kind: the person's to fix,
// "internal": a bug, logged) or a change the page refuses.

export class LabError extends Error {
  constructor(message, kind = "user") {
    super(message);
    this.name = "LabError";
    this.kind = kind;
  }
}
