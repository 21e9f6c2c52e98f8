// Identifiers in the Verilog: the user's own names, except where they collide with a Verilog or
// SystemVerilog keyword (Verilator parses .v files as SystemVerilog), which get a trailing underscore.

const KEYWORDS = new Set(
  (
    // Verilog-2005
    'always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default defparam design ' +
    'disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive endspecify endtable endtask ' +
    'event for force forever fork function generate genvar highz0 highz1 if ifnone incdir include initial inout input ' +
    'instance integer join large liblist library localparam macromodule medium module nand negedge nmos nor ' +
    'noshowcancelled not notif0 notif1 or output parameter pmos posedge primitive pull0 pull1 pulldown pullup ' +
    'pulsestyle_onevent pulsestyle_ondetect rcmos real realtime reg release repeat rnmos rpmos rtran rtranif0 rtranif1 ' +
    'scalared showcancelled signed small specify specparam strong0 strong1 supply0 supply1 table task time tran tranif0 ' +
    'tranif1 tri tri0 tri1 triand trior trireg unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor ' +
    // SystemVerilog additions most likely to be used as names
    'alias always_comb always_ff always_latch assert assume before bind bins binsof bit break byte chandle checker class ' +
    'clocking const constraint context continue cover covergroup coverpoint cross dist do endchecker endclass endclocking ' +
    'endgroup endinterface endpackage endprogram endproperty endsequence enum expect export extends extern final first_match ' +
    'foreach forkjoin global iff ignore_bins illegal_bins implements implies import inside int interface intersect join_any ' +
    'join_none let local logic longint matches modport new null package packed priority program property protected pure rand ' +
    'randc randcase randsequence ref restrict return s_always s_eventually s_nexttime s_until s_until_with sequence shortint ' +
    'shortreal soft solve static string strong struct super sync_accept_on sync_reject_on tagged this throughout timeprecision ' +
    'timeunit type typedef union unique unique0 until until_with untyped var virtual void wait_order weak wildcard with within'
  ).split(' '),
);

export function isKeyword(name: string): boolean {
  return KEYWORDS.has(name);
}

/** Allocates the Verilog names of one module's objects: keywords renamed, no two alike. */
export class NameTable {
  private readonly taken = new Set<string>();
  private readonly assigned = new Map<object, string>();

  /** The Verilog name of `obj`, preferring `wanted`. */
  name(obj: object, wanted: string): string {
    const have = this.assigned.get(obj);
    if (have) return have;
    let n = isKeyword(wanted) ? `${wanted}_` : wanted;
    while (this.taken.has(n)) n = `${n}_`;
    this.taken.add(n);
    this.assigned.set(obj, n);
    return n;
  }

  /** A fresh name for something the printer introduces (a temporary), never clashing with user names. */
  fresh(base: string): string {
    let i = 0;
    while (this.taken.has(`${base}_${i}`)) i++;
    const n = `${base}_${i}`;
    this.taken.add(n);
    return n;
  }

  lookup(obj: object): string | undefined {
    return this.assigned.get(obj);
  }
}
