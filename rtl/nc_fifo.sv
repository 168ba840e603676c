// nc_fifo: synchronous FIFO with the contract's start-of-cycle rule
// (docs/microarchitecture.md §3): the writer may push in a cycle only if `full` (the
// registered occupancy == DEPTH) is low at the start of that cycle; a pop frees space
// only from the next cycle. Push and pop may happen in the same cycle.
//
// Parameters
//   DEPTH  entries (1..64)
//   WIDTH  bits per entry
//   CW     width of the occupancy outputs (>= $clog2(DEPTH+1))
module nc_fifo #(
  parameter int DEPTH = 2,
  parameter int WIDTH = 8,
  parameter int CW    = 7
) (
  input  logic             clk,
  input  logic             rst,
  input  logic             push,       // writer guarantees !full
  input  logic [WIDTH-1:0] push_data,
  input  logic             pop,        // reader guarantees !empty
  output logic [WIDTH-1:0] head,
  output logic             empty,
  output logic             full,
  output logic [CW-1:0]    count,
  output logic [CW-1:0]    max_count   // highest occupancy since reset
);
  localparam int PW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam logic [PW-1:0] LAST = PW'(DEPTH - 1);

  if (DEPTH < 1 || DEPTH > 64) begin : g_bad_depth
    $fatal(1, "nc_fifo: DEPTH=%0d must be in 1..64", DEPTH);
  end
  if (CW < $clog2(DEPTH + 1)) begin : g_bad_cw
    $fatal(1, "nc_fifo: CW=%0d cannot hold occupancy up to DEPTH=%0d", CW, DEPTH);
  end

  logic [WIDTH-1:0] mem [DEPTH];
  logic [PW-1:0]    rd_ptr, wr_ptr;

  assign head  = mem[rd_ptr];
  assign empty = (count == '0);
  assign full  = (count == CW'(DEPTH));

  logic [CW-1:0] count_next;
  always_comb begin
    count_next = count;
    if (push && !pop) count_next = count + 1'b1;
    if (pop && !push) count_next = count - 1'b1;
  end

  always_ff @(posedge clk) begin
    if (push) mem[wr_ptr] <= push_data;
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      rd_ptr    <= '0;
      wr_ptr    <= '0;
      count     <= '0;
      max_count <= '0;
    end else begin
      if (push) wr_ptr <= (wr_ptr == LAST) ? '0 : wr_ptr + 1'b1;
      if (pop)  rd_ptr <= (rd_ptr == LAST) ? '0 : rd_ptr + 1'b1;
      count <= count_next;
      if (count_next > max_count) max_count <= count_next;
    end
  end

`ifndef SYNTHESIS
  // The contract's one timing rule: never push into a FIFO that was full at cycle start.
  always_ff @(posedge clk) begin
    if (!rst && push && full) $error("nc_fifo: push into a full FIFO (occupancy %0d)", count);
    if (!rst && pop && empty) $error("nc_fifo: pop from an empty FIFO");
  end
`endif
endmodule
