// nc_neuron: the fixed-point CUBA LIF update, combinational (docs/microarchitecture.md §7).
//
//   sat(x)      = min(max(x, -2^(S-1)), 2^(S-1)-1)
//   decay(x, d) = trunc(x * (4096 - d) / 4096)          (toward zero)
//   u' = sat(decay(u, du) + I * 2^w_exp)
//   ref > 0:  ref' = ref - 1, v' = v, no spike
//   else:     v_i = sat(decay(v, dv) + u' + bias)
//     binary profile: spike (payload 1) if v_i >= vth -> v' = v_reset, ref' = refractory; else v' = v_i, ref' = 0
//     graded profile (PAYLOAD_BITS = P > 0, `graded`): P compare-subtract steps from the top
//       quotient bit down give q = min(floor(v_i / vth), 2^P - 1) and r = v_i - q * vth (vth >= 1,
//       the compiler's rule); spike (payload q) if q > 0 -> v' = r, ref' = refractory; else as binary
// Intermediates are IW bits wide, enough that nothing overflows before saturation:
// |x * 4096| < 2^(S+11), |I << 7| < 2^(A+6), and each sum adds one bit. The graded steps work
// on S + P + 1 bits (vth << (P-1) < 2^(S+P-1)).
// `quiet` (docs §5.1): the update had no input, left the state unchanged and did not spike.
//
// Parameters: STATE_BITS (S, u/v/bias/vth/v_reset), ACC_BITS (A, input I), REF_BITS,
// PAYLOAD_BITS (P: 0 = binary chip, the graded datapath is not built; `payload` is then 1 bit).
module nc_neuron #(
  parameter int STATE_BITS   = 16,
  parameter int ACC_BITS     = 20,
  parameter int REF_BITS     = 4,
  parameter int PAYLOAD_BITS = 0
) (
  input  logic signed [STATE_BITS-1:0] u,
  input  logic signed [STATE_BITS-1:0] v,
  input  logic        [REF_BITS-1:0]   ref_cnt,
  input  logic signed [ACC_BITS-1:0]   i_in,
  input  logic        [11:0]           du,
  input  logic        [11:0]           dv,
  input  logic signed [STATE_BITS-1:0] bias,
  input  logic signed [STATE_BITS-1:0] vth,
  input  logic signed [STATE_BITS-1:0] v_reset,
  input  logic        [REF_BITS-1:0]   refractory,
  input  logic        [2:0]            w_exp,
  input  logic                         graded,     // profile's graded bit (ignored when PAYLOAD_BITS = 0)
  output logic signed [STATE_BITS-1:0] u_next,
  output logic signed [STATE_BITS-1:0] v_next,
  output logic        [REF_BITS-1:0]   ref_next,
  output logic                         spike,
  output logic [((PAYLOAD_BITS > 0) ? PAYLOAD_BITS : 1)-1:0] payload,   // q of a spike (1 for a binary spike; 0 without one)
  output logic                         active,     // (u', v', ref') != (u, v, ref)
  output logic                         quiet       // I == 0 && !active && !spike
);
  localparam int S  = STATE_BITS;
  localparam int A  = ACC_BITS;
  localparam int PW = (PAYLOAD_BITS > 0) ? PAYLOAD_BITS : 1;
  localparam int IW = ((S + 14) > (A + 8) ? (S + 14) : (A + 8)) + 2;

  if (S < 4 || S > 32 || A < 4 || A > 32 || REF_BITS < 1 || REF_BITS > 8) begin : g_bad
    $fatal(1, "nc_neuron: STATE_BITS=%0d ACC_BITS=%0d REF_BITS=%0d out of range", S, A, REF_BITS);
  end
  if (PAYLOAD_BITS < 0 || PAYLOAD_BITS > 16 || (PAYLOAD_BITS > 0 && PAYLOAD_BITS >= S)) begin : g_bad_payload
    $fatal(1, "nc_neuron: PAYLOAD_BITS=%0d must be 0..16 and below STATE_BITS=%0d", PAYLOAD_BITS, S);
  end

  localparam logic signed [IW-1:0] SMAX = IW'((64'sd1 <<< (S - 1)) - 64'sd1);
  localparam logic signed [IW-1:0] SMIN = IW'(-(64'sd1 <<< (S - 1)));

  // (functions assign their name rather than `return`: Yosys' read_verilog needs that)
  function automatic logic signed [IW-1:0] sext_s(input logic signed [S-1:0] x);
    sext_s = $signed({{(IW - S){x[S-1]}}, x});
  endfunction

  function automatic logic signed [IW-1:0] decay(input logic signed [S-1:0] x, input logic [11:0] d);
    logic signed [IW-1:0] m, prod, q;
    m    = $signed(IW'(13'd4096 - {1'b0, d}));      // 1..4096, positive
    prod = sext_s(x) * m;
    q    = prod >>> 12;                              // floor
    if (prod[IW-1] && prod[11:0] != 12'd0) q = q + IW'(1);   // -> toward zero
    decay = q;
  endfunction

  function automatic logic signed [S-1:0] sat(input logic signed [IW-1:0] x);
    if (x > SMAX)      sat = SMAX[S-1:0];
    else if (x < SMIN) sat = SMIN[S-1:0];
    else               sat = x[S-1:0];
  endfunction

  logic signed [IW-1:0] i_scaled, u_sum, v_sum;
  logic signed [S-1:0]  v_int;
  logic                 g_fire;      // graded profile with q > 0
  logic [PW-1:0]        g_q;         // its payload
  logic signed [S-1:0]  g_r;         // its residual

  always_comb begin
    i_scaled = $signed({{(IW - A){i_in[A-1]}}, i_in}) <<< w_exp;
    u_sum    = decay(u, du) + i_scaled;
    u_next   = sat(u_sum);
    v_sum    = decay(v, dv) + sext_s(u_next) + sext_s(bias);
    v_int    = sat(v_sum);
  end

  // ---- graded output: P compare-subtract steps (none on a binary chip) ----------------------
  if (PAYLOAD_BITS > 0) begin : g_graded
    localparam int GW = S + PAYLOAD_BITS + 1;
    logic signed [GW-1:0] r, step;
    logic [PW-1:0]        q;
    always_comb begin
      r = GW'(v_int);
      q = '0;
      for (int b = PAYLOAD_BITS - 1; b >= 0; b--) begin
        step = GW'(vth) <<< b;
        if (r >= step) begin
          r    = r - step;
          q[b] = 1'b1;
        end
      end
    end
    assign g_fire = graded && (q != '0);
    assign g_q    = q;
    assign g_r    = r[S-1:0];     // 0 <= r < vth when q > 0 (or v_i - (2^P-1)*vth <= v_i): fits S bits
    logic unused_r;
    assign unused_r = ^r[GW-1:S];
  end else begin : g_binary
    assign g_fire = 1'b0;
    assign g_q    = 1'b1;
    assign g_r    = '0;
    logic unused_g;
    assign unused_g = graded;
  end

  always_comb begin
    payload = '0;
    if (ref_cnt != '0) begin
      spike    = 1'b0;
      v_next   = v;
      ref_next = ref_cnt - 1'b1;
    end else if (PAYLOAD_BITS > 0 && graded) begin
      spike    = g_fire;
      v_next   = g_fire ? g_r : v_int;
      ref_next = g_fire ? refractory : '0;
      payload  = g_q;
    end else if (v_int >= vth) begin
      spike    = 1'b1;
      v_next   = v_reset;
      ref_next = refractory;
      payload  = PW'(1);
    end else begin
      spike    = 1'b0;
      v_next   = v_int;
      ref_next = '0;
    end
    active = (u_next != u) || (v_next != v) || (ref_next != ref_cnt);
    quiet  = (i_in == '0) && !active && !spike;
  end
endmodule
