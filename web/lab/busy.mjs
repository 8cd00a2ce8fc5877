// One change under way in this tab that the page makes in several awaits (an import: read,
// asked about, then written): while it lasts, every other change is refused with its label,
// instead of slipping in between and being overwritten, or overwriting, without a question.

export class ChangeGate {
  /** `refusal(label)` makes the error a refused change throws. */
  constructor(refusal) {
    this.refusal = refusal;
    this.current = null; // {label} of the change under way
  }

  /** Run `work(token)` as the change under way; refused itself while another one is. */
  async during(label, work) {
    this.refuse();
    const token = this.current = { label };
    try {
      return await work(token);
    } finally {
      if (this.current === token) this.current = null;
    }
  }

  /** Throw if a change is under way that `token` does not belong to; else true. */
  refuse(token = null) {
    if (this.current && this.current !== token) throw this.refusal(this.current.label);
    return true;
  }
}
