"""cocotb: nc_si, the synaptic-integration engine (docs/microarchitecture.md §5), cycle by cycle.

The testbench is the core around the engine: the input FIFO (a Python list) and the memories
(axon table, synapse words, accumulator bank nxt), answering the engine's read addresses
combinationally within the cycle and applying its write requests at the clock edge."""
import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, Timer

P = json.loads(os.environ["NC_TB_PARAMS"])
LANES, WB, A = P["LANES"], P["WEIGHT_BITS"], P["ACC_BITS"]
AXB, FB, NB, WAB, LENB = P["AXON_BITS"], P["FLIT_BITS"], P["NEURON_BITS"], P["WORD_ADDR_BITS"], P["LEN_BITS"]
WC = P.get("WORD_CYCLES", 1)       # cycles per synapse word (the RTL default is 1)
PAY = P.get("PAYLOAD_BITS", 0)     # graded chips: the flit's top PAY bits are the payload
DB = P.get("DELAY_BITS", 0)        # delays: a slot's extra delay picks the accumulator bank (§10)
LEARN = P.get("LEARN", 0)          # STDP: depression of plastic slots and a WRITE cycle (§11.2)
TRB = P.get("TRACE_BITS", 8)
DW = max(1, DB)


def signed(v, bits):
    v = int(v) & ((1 << bits) - 1)
    return v - (1 << bits) if v >> (bits - 1) else v


def pack(values, bits):
    return sum((int(v) & ((1 << bits) - 1)) << (k * bits) for k, v in enumerate(values))


def unpack(v, n, bits):
    return [(int(v) >> (k * bits)) & ((1 << bits) - 1) for k in range(n)]


def check_widths(dut):
    """The parameters are not visible through VPI: the port widths must be the ones asked for."""
    got = {"fifo_head": FB, "ax_addr": AXB, "ax_base": WAB, "ax_len": LENB, "word_addr": WAB, "w_valid": LANES,
           "w_target": LANES * NB, "w_weight": LANES * WB, "acc_neuron": LANES * NB, "acc_rdata": LANES * A,
           "acc_we": LANES, "acc_wdata": LANES * A, "syn_ops": 5, "word_read": 1, "w_delay": LANES * DW,
           "acc_delay": LANES * DW, "y_rdata": LANES * TRB, "w_wdata": LANES * WB, "wupd": 5, "word_we": 1}
    assert {k: len(getattr(dut, k)) for k in got} == got


def slot(s):
    """(target, weight, delay, plastic) of a slot given as (target, weight[, delay[, plastic]])."""
    return (*s, 0, 0)[:4] if len(s) < 4 else tuple(s)


class Core:
    """FIFO + memories around the SI. `syn[w]` is a list of LANES slots (target, weight[, delay[,
    plastic]]) or None (invalid slot); `accs[d][n]` is the accumulator of neuron n in the bank of
    extra delay d (`acc` = delay 0, bank nxt); `y[n]` the post-synaptic trace; the rule's
    learn_en/shift/w_min/w_max are driven as given; WRITE cycles update `syn`."""

    def __init__(self, dut, ax, syn, acc, y=None, rule=(0, 0, 0, 0)):
        self.dut, self.ax, self.syn = dut, ax, [list(w) for w in syn]
        self.accs = {0: list(acc)}
        self.y = list(y) if y is not None else [0] * (1 << NB)
        self.rule = rule        # (learn_en, shift, w_min, w_max)
        self.fifo = []
        self.cycle = 0

    @property
    def acc(self):
        return self.accs[0]

    def acc_of(self, d):
        return self.accs.setdefault(d, [0] * len(self.accs[0]))

    async def reset(self):
        dut = self.dut
        Clock(dut.clk, 10, unit="ns").start()
        dut.rst.value = 1
        for s in ("fifo_empty", "fifo_head", "ax_base", "ax_len", "w_valid", "w_target", "w_weight", "acc_rdata",
                  "w_delay", "w_plastic", "y_rdata"):
            getattr(dut, s).value = 0
        dut.learn_en.value, dut.shift.value = self.rule[0], self.rule[1]
        dut.w_min.value, dut.w_max.value = self.rule[2] & ((1 << WB) - 1), self.rule[3] & ((1 << WB) - 1)
        dut.fifo_empty.value = 1
        await FallingEdge(dut.clk)
        await FallingEdge(dut.clk)
        dut.rst.value = 0

    async def tick(self, push=None):
        """One cycle: memories answer the read addresses, outputs are sampled, writes land at
        the edge. `push`: a flit that enters the FIFO at this edge (visible from the next cycle)."""
        dut = self.dut
        dut.fifo_empty.value = int(not self.fifo)
        dut.fifo_head.value = self.fifo[0] if self.fifo else 0
        await Timer(1, unit="ns")
        a, w = int(dut.ax_addr.value), int(dut.word_addr.value)
        base, n = self.ax.get(a, (0, 0))
        dut.ax_base.value, dut.ax_len.value = base, n
        slots = [slot(x) if x else None for x in (self.syn[w] if w < len(self.syn) else [None] * LANES)]
        dut.w_valid.value = sum(1 << lane for lane, s in enumerate(slots) if s is not None)
        dut.w_target.value = pack([s[0] if s else 0 for s in slots], NB)
        dut.w_weight.value = pack([s[1] if s else 0 for s in slots], WB)
        dut.w_delay.value = pack([s[2] if s else 0 for s in slots], DW)
        dut.w_plastic.value = sum(1 << lane for lane, s in enumerate(slots) if s is not None and s[3])
        await Timer(1, unit="ns")
        neurons = unpack(dut.acc_neuron.value, LANES, NB)
        delays = unpack(dut.acc_delay.value, LANES, DW) if DB else [0] * LANES
        dut.acc_rdata.value = pack([self.acc_of(d)[t] for t, d in zip(neurons, delays)], A)
        dut.y_rdata.value = pack([self.y[t] for t in neurons], TRB)
        await Timer(1, unit="ns")
        pop, busy, read = int(dut.pop.value), int(dut.busy.value), int(dut.word_read.value)
        we = int(dut.acc_we.value)
        wdata = [signed(x, A) for x in unpack(dut.acc_wdata.value, LANES, A)]
        key = (lambda lane: (neurons[lane], delays[lane])) if DB else (lambda lane: neurons[lane])
        writes = {key(lane): wdata[lane] for lane in range(LANES) if we >> lane & 1}
        assert len(writes) == bin(we).count("1"), f"cycle {self.cycle}: two lanes write one accumulator entry"
        word_we = int(dut.word_we.value)
        new_w = [signed(x, WB) for x in unpack(dut.w_wdata.value, LANES, WB)] if word_we else None
        rec = {"pop": pop, "ax": a if pop else None, "busy": busy, "word": w if read else None,
               "we": we, "writes": writes, "syn_ops": int(dut.syn_ops.value), "wupd": int(dut.wupd.value),
               "write": (w, new_w) if word_we else None}
        await FallingEdge(dut.clk)                 # the edge in between: writes land
        for k, x in writes.items():
            t, d = k if DB else (k, 0)
            self.acc_of(d)[t] = x
        if new_w is not None:
            self.syn[w] = [(*slot(x)[:1], new_w[lane], *slot(x)[2:]) if x else None for lane, x in enumerate(self.syn[w])]
        if pop:
            assert self.fifo, f"cycle {self.cycle}: pop from an empty FIFO"
            self.fifo.pop(0)
        if push is not None:
            self.fifo.append(push)
        self.cycle += 1
        return rec


def flit(axon, xy=0b1011):
    """A flit to `axon`; the destination x/y bits above it must not matter to the SI."""
    return (xy << AXB | axon) & ((1 << FB) - 1)


def directed(dut, word_cycles=1):
    check_widths(dut)
    assert LANES == 3 and NB >= 2 and AXB >= 2 and WAB >= 3, f"the directed timelines are derived for 3 lanes: {P}"
    assert WC == word_cycles, f"the directed timeline is derived for {word_cycles} cycle(s) per word: {P}"


@cocotb.test(skip=PAY > 0)
async def si_timeline(dut):
    """Pop + lookup in c, words in c+1..c+n, next pop in c+n+1; a zero-length axon pops again
    in c+1; idle on an empty FIFO; a flit that arrives while idle is popped in the next cycle."""
    directed(dut)
    # axon 0: 7 synapses = 3 words from word 2 (the last word has 1 valid slot);
    # axon 1: none; axon 2: exactly one full word (5); axon 3: 6 synapses = 2 full words (6, 7)
    ax = {0: (2, 7), 1: (0, 0), 2: (5, 3), 3: (6, 6)}
    syn = [[None] * 3 for _ in range(8)]
    syn[2] = [(0, 1), (1, 2), (2, 3)]
    syn[3] = [(3, 4), (0, -5), (1, 6)]
    syn[4] = [(2, 7), None, None]
    syn[5] = [(0, -1), (1, -2), (3, -3)]
    syn[6] = [(0, 1), (1, 1), (2, 1)]
    syn[7] = [(3, 31), (2, -32), (1, 10)]
    c = Core(dut, ax, syn, [0, 0, 0, 0])
    await c.reset()
    c.fifo = [flit(0), flit(1), flit(2)]           # three flits waiting at cycle 0
    log = [await c.tick(push=flit(3) if k == 8 else None) for k in range(13)]
    # cycle: 0 pop a0 | 1-3 words 2,3,4 | 4 pop a1 (len 0) | 5 pop a2 | 6 word 5 | 7-8 idle, FIFO
    # empty (a3 enters at the edge ending 8) | 9 pop a3 | 10-11 words 6,7 | 12 idle
    assert [r["ax"] for r in log] == [0, None, None, None, 1, 2, None, None, None, 3, None, None, None], log
    assert [r["word"] for r in log] == [None, 2, 3, 4, None, None, 5, None, None, None, 6, 7, None], log
    assert [r["busy"] for r in log] == [0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0]
    assert [r["syn_ops"] for r in log] == [0, 3, 3, 1, 0, 0, 3, 0, 0, 0, 3, 3, 0]
    assert [r["writes"] for r in log if r["writes"]] == [
        {0: 1, 1: 2, 2: 3}, {3: 4, 0: 1 - 5, 1: 2 + 6}, {2: 3 + 7}, {0: -4 - 1, 1: 8 - 2, 3: 4 - 3},
        {0: -5 + 1, 1: 6 + 1, 2: 10 + 1}, {3: 1 + 31, 2: 11 - 32, 1: 7 + 10}]
    assert c.acc == [-4, 17, -21, 32]
    assert all(not r["writes"] for r in log if not r["busy"])


@cocotb.test(skip=PAY > 0)
async def si_lane_merge(dut):
    """Lanes of one word with equal targets: only the first *valid* lane of a target writes,
    acc + the sum of all valid lanes of that target; invalid slots neither write nor add."""
    directed(dut)
    ax = {0: (0, 12)}                               # 4 words
    syn = [[(1, 5), (1, -3), (2, 4)],               # lanes 0, 1 -> neuron 1; lane 2 -> 2
           [(3, 7), (3, 8), (3, -20)],              # all three -> neuron 3
           [None, (0, 9), (0, 6)],                  # lane 0 invalid: lane 1 is the first of neuron 0
           [(2, 11), None, (2, -1)]]                # an invalid slot between two lanes of neuron 2
    c = Core(dut, ax, syn, [100, -100, 50, -8])
    await c.reset()
    c.fifo = [flit(0)]
    log = [await c.tick() for _ in range(6)]
    we = [r["writes"] for r in log]
    assert we == [{}, {1: -100 + 2, 2: 50 + 4}, {3: -8 - 5}, {0: 100 + 15}, {2: 54 + 10}, {}], we
    assert [r["syn_ops"] for r in log] == [0, 3, 3, 2, 2, 0]
    # the lane that writes is the first valid lane of its target
    assert [r["we"] for r in log] == [0, 0b101, 0b001, 0b010, 0b001, 0]


@cocotb.test(skip=PAY > 0)
async def si_reset_and_busy(dut):
    """A busy SI ignores the FIFO until its last word; a reset returns it to IDLE at once."""
    directed(dut)
    ax = {0: (0, 9), 1: (3, 1)}
    syn = [[(0, 1), (1, 1), (2, 1)] for _ in range(4)]
    c = Core(dut, ax, syn, [0, 0, 0, 0])
    await c.reset()
    c.fifo = [flit(0), flit(1)]
    log = [await c.tick() for _ in range(2)]
    assert [(r["pop"], r["busy"], r["word"]) for r in log] == [(1, 0, None), (0, 1, 0)]
    dut.rst.value = 1                               # reset in the middle of axon 0's words
    await c.tick()
    dut.rst.value = 0
    log = [await c.tick() for _ in range(3)]
    # idle after the reset: pops axon 1 (1 synapse, word 3), then idle
    assert [(r["pop"], r["ax"], r["busy"], r["word"]) for r in log] == [(1, 1, 0, None), (0, None, 1, 3),
                                                                         (0, None, 0, None)], log


class Model:
    """The SI of docs/microarchitecture.md §5, §10 and §11.2, written from the contract: IDLE,
    BUSY(w, s) with w = ceil(len/LANES) words left and s cycles left of the current word
    (WORD_CYCLES each; the word is read when s = 1), and WRITE after reading a word with a valid
    plastic slot on a learning core. A slot adds into the bank of its delay; a plastic slot's
    weight becomes clip(w - (y[target] >> shift)) in the WRITE cycle."""

    def __init__(self, ax, syn, rule=(0, 0, 0, 0)):
        self.ax, self.syn, self.rule = ax, syn, rule
        self.w = 0          # words left (0 = IDLE)
        self.s = 0
        self.ptr = 0
        self.q = 1          # payload of the flit being integrated (1 on a binary chip)
        self.write = None   # the new weights of the word to write (WRITE next)

    def cycle(self, fifo, acc_of, y):
        """(pop axon or None, word read or None, {(neuron[, delay]): new value}, busy, write) for
        this cycle; write = (word, new weights) in a WRITE cycle."""
        if self.write is not None:
            wr, self.write = self.write, None
            self.w -= 1
            self.ptr += 1
            self.s = WC
            return None, None, {}, True, wr
        if self.w == 0:
            if not fifo:
                return None, None, {}, False, None
            a = fifo[0] & ((1 << AXB) - 1)
            base, n = self.ax.get(a, (0, 0))
            self.w, self.ptr, self.s = -(-n // LANES), base, WC
            self.q = fifo[0] >> (FB - PAY) if PAY else 1
            return a, None, {}, False, None
        if self.s > 1:
            self.s -= 1
            return None, None, {}, True, None
        word = self.ptr
        sums = {}
        en, shift, wmin, wmax = self.rule
        new_w, plastic = [], False
        for x in self.syn[word]:
            if x is None:
                new_w.append(0)
                continue
            t, wt, d, pl = slot(x)
            k = (t, d) if DB else t
            sums[k] = sums.get(k, 0) + wt * self.q
            if LEARN and en and pl:
                plastic = True
                new_w.append(min(max(wt - (y[t] >> shift), wmin), wmax))
            else:
                new_w.append(wt)
        writes = {k: signed(acc_of(k[1] if DB else 0)[k[0] if DB else k] + v, A) for k, v in sums.items()}
        if plastic:
            self.write = (word, new_w)
            return None, word, writes, True, None
        self.w -= 1
        self.ptr += 1
        self.s = WC
        return None, word, writes, True, None


@cocotb.test()
async def si_random(dut):
    """Random axon tables, synapse words and flit arrivals vs the contract model, 3000 cycles."""
    check_widths(dut)
    rng = random.Random(5 + LANES)
    n_words, n_axons, n_neurons = 1 << WAB, 1 << AXB, 1 << NB
    max_len = min((1 << LENB) - 1, 4 * LANES)
    wmax = (1 << (WB - 1)) - 1
    syn = [[(rng.randrange(n_neurons), rng.randint(-wmax - 1, wmax)) if rng.random() < 0.85 else None
            for _ in range(LANES)] for _ in range(n_words)]
    ax = {}
    for a in range(n_axons):
        n = rng.choice([0, 1, LANES, max_len, rng.randint(0, max_len)])
        ax[a] = (rng.randrange(n_words - (-(-n // LANES)) + 1), n)
    if DB or LEARN:        # slots with random delays and plastic bits
        syn = [[(t, wt, rng.randrange(1 << DB) if DB else 0, int(LEARN and rng.random() < 0.5)) if x else None
                for x in w for t, wt in [x or (0, 0)]] for w in syn]
    amax = (1 << (A - 1)) - 1
    rule = (1, rng.randrange(4), -wmax // 2, wmax) if LEARN else (0, 0, 0, 0)
    c = Core(dut, ax, syn, [rng.randint(-amax - 1, amax) for _ in range(n_neurons)],
             y=[rng.randrange(1 << TRB) for _ in range(n_neurons)], rule=rule)
    await c.reset()
    m = Model(ax, c.syn, rule)
    pops = words = ops = writes = 0
    for k in range(3000):
        rate = 0.6 if (k // 400) % 2 else 0.15
        push = flit(rng.randrange(n_axons), rng.randrange(1 << (FB - AXB))) if rng.random() < rate else None
        fifo = list(c.fifo)
        snapshot = {d: list(v) for d, v in c.accs.items()}
        acc_of = lambda d: snapshot.setdefault(d, [0] * n_neurons)   # noqa: E731
        m.syn = [list(w) for w in c.syn]
        want_ax, want_word, want_writes, want_busy, want_write = m.cycle(fifo, acc_of, c.y)
        rec = await c.tick(push)
        got, want = (rec["ax"], rec["word"], rec["writes"]), (want_ax, want_word, want_writes)
        assert got == want, f"cycle {k}: (pop axon, word, writes) {got} != model {want}"
        valid = sum(s is not None for s in m.syn[want_word]) if want_word is not None else 0
        assert rec["syn_ops"] == valid and rec["busy"] == int(want_busy)
        if want_write is not None:
            w_word, w_new = want_write
            assert rec["write"] is not None and rec["write"][0] == w_word, (k, rec["write"], want_write)
            got_w = [x for x, s in zip(rec["write"][1], m.syn[w_word]) if s is not None]
            want_w = [x for x, s in zip(w_new, m.syn[w_word]) if s is not None]
            assert got_w == want_w, f"cycle {k}: written weights {got_w} != model {want_w}"
        else:
            assert rec["write"] is None, (k, rec["write"])
        pops += want_ax is not None
        words += want_word is not None
        writes += want_write is not None
        ops += valid
    assert pops > 300 // (WC + LEARN) and words > 600 // (WC + LEARN) and ops > 400 // (WC + LEARN), (pops, words, ops)
    assert writes > 100 or not LEARN, writes


@cocotb.test(skip=not (DB and LEARN))
async def si_delay_stdp(dut):
    """Delays and STDP by hand (3 lanes, shift 1, weights in [-4, 6]): lanes merge only with equal
    target and delay; a word with a plastic slot is followed by one WRITE cycle (the next word is
    read one cycle later); depression clip(w - (y >> 1)) of plastic slots only, on the word as read."""
    check_widths(dut)
    assert LANES == 3 and NB >= 2 and WAB >= 3 and WC == 1, P
    ax = {0: (0, 6)}                                           # 2 words
    syn = [[(1, 5, 0, 1), (1, 2, 1, 0), (1, -3, 0, 0)],        # n1 delay 0: 5 - 3, n1 delay 1: 2; lane 0 plastic
           [(2, 3, 1, 0), (3, -4, 0, 1), (2, 1, 1, 1)]]        # n2 delay 1: 3 + 1; n3: -4; lanes 1, 2 plastic
    c = Core(dut, ax, syn, [0, 0, 0, 0], y=[0, 4, 9, 5], rule=(1, 1, -4, 6))
    await c.reset()
    c.fifo = [flit(0)]
    log = [await c.tick() for _ in range(6)]
    # 0 pop | 1 read word 0 | 2 WRITE word 0 | 3 read word 1 | 4 WRITE word 1 | 5 idle
    assert [r["word"] for r in log] == [None, 0, None, 1, None, None], log
    assert [r["busy"] for r in log] == [0, 1, 1, 1, 1, 0]
    assert [r["writes"] for r in log] == [{}, {(1, 0): 2, (1, 1): 2}, {}, {(2, 1): 4, (3, 0): -4}, {}, {}], log
    assert [r["wupd"] for r in log] == [0, 1, 0, 2, 0, 0]
    # word 0: lane 0 (y[1] = 4): 5 - 2 = 3; word 1: lane 1 (y[3] = 5): -4 - 2 -> clipped to -4; lane 2 (y[2] = 9): 1 - 4 = -3
    assert [r["write"] for r in log if r["write"]] == [(0, [3, 2, -3]), (1, [3, -4, -3])], log
    assert [[x[1] for x in w] for w in c.syn] == [[3, 2, -3], [3, -4, -3]]


@cocotb.test(skip=PAY > 0)
async def si_word_cycles(dut):
    """WORD_CYCLES = 3: a pop in c reads word j in c + 3j (the last cycle of its three), busy
    from c+1 to c+3n, the next pop in c+3n+1; writes and syn_ops only in the reading cycles."""
    directed(dut, word_cycles=3)
    ax = {0: (2, 7), 1: (0, 0), 2: (5, 3)}         # 3 words, none, 1 word
    syn = [[None] * 3 for _ in range(8)]
    syn[2] = [(0, 1), (1, 2), (2, 3)]
    syn[3] = [(3, 4), (0, -5), (1, 6)]
    syn[4] = [(2, 7), None, None]
    syn[5] = [(0, -1), (1, -2), (3, -3)]
    c = Core(dut, ax, syn, [0, 0, 0, 0])
    await c.reset()
    c.fifo = [flit(0), flit(1), flit(2)]
    log = [await c.tick() for _ in range(16)]
    # 0 pop a0 | 1-9 busy, words 2, 3, 4 read in 3, 6, 9 | 10 pop a1 (len 0) | 11 pop a2 |
    # 12-14 busy, word 5 read in 14 | 15 idle
    assert [r["ax"] for r in log] == [0] + [None] * 9 + [1, 2] + [None] * 4, log
    assert [r["busy"] for r in log] == [0] + [1] * 9 + [0, 0, 1, 1, 1, 0]
    assert [r["word"] for r in log] == [None, None, None, 2, None, None, 3, None, None, 4, None, None,
                                        None, None, 5, None]
    assert [r["syn_ops"] for r in log] == [0, 0, 0, 3, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 3, 0]
    assert [k for k, r in enumerate(log) if r["writes"]] == [3, 6, 9, 14]
    assert c.acc == [1 - 5 - 1, 2 + 6 - 2, 3 + 7, 4 - 3]


@cocotb.test(skip=PAY == 0)
async def si_payload_multiply(dut):
    """Graded chip: every valid slot adds weight x payload of the popped flit (kept while the
    words are read, whatever the FIFO head does meanwhile), lanes of one target merged."""
    check_widths(dut)
    assert LANES == 3 and NB >= 2 and AXB >= 2 and WAB >= 3 and PAY >= 3, f"derived for 3 lanes, P >= 3: {P}"
    ax = {0: (0, 6), 1: (2, 3)}
    syn = [[(1, 5), (1, -3), (2, 4)], [(3, -7), None, (0, 2)], [(2, 1), (2, 1), (3, -1)]]
    c = Core(dut, ax, syn, [0, 0, 0, 0])
    await c.reset()
    top = lambda q: q << (FB - PAY)   # noqa: E731
    c.fifo = [flit(0) | top(7), flit(1) | top(3)]
    log = [await c.tick() for _ in range(6)]
    # pop a0 (q 7) | word 0: n1 += (5-3)*7, n2 += 4*7 | word 1: n3 -= 49, n0 += 14 | pop a1 (q 3) |
    # word 2: n2 += 2*3, n3 -= 3 | idle
    assert [r["writes"] for r in log] == [{}, {1: 14, 2: 28}, {3: -49, 0: 14}, {}, {2: 34, 3: -52}, {}], log
    assert c.acc == [14, 14, 34, -52]
