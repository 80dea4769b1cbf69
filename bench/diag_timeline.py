#!/usr/bin/env python3
"""Timeline of one CTA of the wgmma mainloop (diagnostic, never product code).

  python3 bench/diag_timeline.py apply SNAPDIR   # adds AG_SM90_DIAG_TL to SNAPDIR's templates
  python3 bench/diag_timeline.py table FILE      # per-block phase durations from its TL lines
  python3 bench/diag_timeline.py cta FILE        # once-per-CTA phases from its TLC lines
  python3 bench/diag_timeline.py tiles SNAPDIR   # adds AG_SM90_DIAG_TT (per-tile stamps) instead
  python3 bench/diag_timeline.py tiletable FILE  # per-tile phase durations from its TT lines

`apply` edits a snapshot's mainloop_sm90.cuh: with AG_SM90_DIAG_TL=1 (ATTNGEN_NVRTC_DEFINES),
lane 0 of each consumer warpgroup of CTA (60, 5) stamps clock64 at four points of each of
its first 48 key blocks (top of the step, after the row max, after the exponentials, after
the wgmma wait) and prints them ("TL cwg it t0 t1 t2 t3") when the CTA ends. Run a package
with `attngen bench --shapes 1,32,16384` and keep the last 96 TL lines. bench/NOTES.md T-1
reads them. Without the macro the templates compile to the product kernel.
"""
import statistics
import sys


def apply(snap):
    p = snap + '/templates/attngen/kernel/mainloop_sm90.cuh'
    s = open(p).read()
    edits = [
        ("template <class Cfg> struct Sm90Consumer {", '''#ifndef AG_SM90_DIAG_TL
#define AG_SM90_DIAG_TL 0
#endif
__device__ unsigned long long agDiagT[2][48][4];
__device__ __forceinline__ void agStamp(int cwg, int it, int k) {
  if (AG_SM90_DIAG_TL && (threadIdx.x % 128) == 0 && blockIdx.x == 60 && it < 48) {
    unsigned long long t;
    asm volatile("mov.u64 %0, %%clock64;" : "=l"(t)::"memory");
    agDiagT[cwg][it][k] = t;
  }
}
template <class Cfg> struct Sm90Consumer {''', False),
        ('''    const int s = (unsigned)it % kStages;
    const unsigned phase = ((unsigned)it / kStages) & 1u;''', '''    agStamp(cwg, it, 0);
''', True),
        ('''    float lBlock[2] = {0.f, 0.f};''', '''    agStamp(cwg, it, 1);
''', True),
        ('''    Mbarrier::wait(fullV + s, phase);''', '''    agStamp(cwg, it, 2);
''', True),
        ('''    // The epilogue: O, then the LSE.''',
         '''    if (AG_SM90_DIAG_TL && (threadIdx.x % 128) == 0 && blockIdx.x == 60 && it0 == 0)
      for (int i = 0; i < 48; ++i)
        printf("TL %d %d %llu %llu %llu %llu\\n", cwg, i, agDiagT[cwg][i][0], agDiagT[cwg][i][1],
               agDiagT[cwg][i][2], agDiagT[cwg][i][3]);
''', True),
    ]
    for old, new, before in edits:
        if old not in s:
            sys.exit('diag_timeline: the mainloop changed; no match for:\n' + old)
        s = s.replace(old, new + old if before else new, 1)
    old = '''    // Both GEMMs retire together: the other warpgroup's softmax runs meanwhile.
    wgmmaWait<0>();'''
    if old not in s:
        sys.exit('diag_timeline: no match for the wgmma wait')
    s = s.replace(old, old + '\n    agStamp(cwg, it, 3);', 1)
    # Once-per-CTA stamps (lines "TLC cwg entry start q first loopend end") of the CTA in
    # the middle of the (1-D, persistent) grid, its first tile: kernel entry, run(), after
    # Q's quantization, after the first S, after the last block, after the epilogue's stores.
    cta = 'AG_SM90_DIAG_TL && blockIdx.x == gridDim.x / 2' 
    s = s.replace('template <class Cfg> struct Sm90Consumer {', '''__device__ unsigned long long agDiagC[2][6];
template <class Cfg> struct Sm90Consumer {''', 1)
    s = s.replace('''  __device__ __forceinline__ int run(int it0, unsigned qPhase, bool &turnHeld) {
''', '''  __device__ __forceinline__ void agCta(int k, int it0) {
    if (%s && it0 == 0 && (threadIdx.x %% 128) == 0) {
      unsigned long long t;
      asm volatile("mov.u64 %%0, %%%%clock64;" : "=l"(t)::"memory");
      agDiagC[cwg][k] = t;
    }
  }
  __device__ __forceinline__ int run(int it0, unsigned qPhase, bool &turnHeld) {
    agCta(1, it0);
''' % cta, 1)
    for old, new in [('''    quantizeQ(qPhase);
    if (nFirst < nEnd) {''', '''    quantizeQ(qPhase);
    agCta(2, it0);
    if (nFirst < nEnd) {'''),
                     ('''      wgmmaWait<0>();
      fenceRegs(acc);
    }
    // Blocks before''', '''      wgmmaWait<0>();
      fenceRegs(acc);
    }
    agCta(3, it0);
    // Blocks before'''),
                     ('''    // The epilogue: O, then the LSE.
''', '''    // The epilogue: O, then the LSE.
    agCta(4, it0);
''')]:
        if old not in s:
            sys.exit('diag_timeline: no match for:\n' + old)
        s = s.replace(old, new, 1)
    # the end of run(): its return of the visit count
    old = '''    return n < nEnd ? it + 1 : it;
  }
};'''
    if old not in s:
        sys.exit('diag_timeline: no match for the end of run()')
    s = s.replace(old, '''    agCta(5, it0);
    if (%s && it0 == 0 && (threadIdx.x %% 128) == 0)
      printf("TLC %%d %%llu %%llu %%llu %%llu %%llu %%llu\\n", cwg, agDiagC[cwg][0],
             agDiagC[cwg][1], agDiagC[cwg][2], agDiagC[cwg][3], agDiagC[cwg][4], agDiagC[cwg][5]);
    return n < nEnd ? it + 1 : it;
  }
};''' % cta, 1)
    old = '''  extern __shared__ unsigned char smemRaw[];
'''
    s = s.replace(old, old + '''  if (%s && threadIdx.x %% 128 == 0 && threadIdx.x > 0) {
    unsigned long long t;
    asm volatile("mov.u64 %%0, %%%%clock64;" : "=l"(t)::"memory");
    agDiagC[threadIdx.x / 128 - 1][0] = t;
  }
''' % cta, 1)
    open(p, 'w').write(s)


def tiles(snap):
    """With AG_SM90_DIAG_TT=1, lane 0 of each consumer warpgroup of the CTA in the middle of
    the persistent grid stamps clock64 at five points of each of its first 24 tiles (run()'s
    entry, after Q's quantization, after the first S, before the epilogue, after it) and
    prints them ("TT cwg k t0 t1 t2 t3 t4") when its tiles are done."""
    p = snap + '/templates/attngen/kernel/mainloop_sm90.cuh'
    s = open(p).read()
    sel = 'AG_SM90_DIAG_TT && blockIdx.x == gridDim.x / 2 && (threadIdx.x % 128) == 0'
    edits = [
        ('template <class Cfg> struct Sm90Consumer {', '''#ifndef AG_SM90_DIAG_TT
#define AG_SM90_DIAG_TT 0
#endif
__device__ unsigned long long agDiagTT[4][24][5];
__device__ int agDiagTTk[4];
__device__ __forceinline__ void agTT(int cwg, int i) {
  if (SEL) {
    const int k = agDiagTTk[cwg];
    unsigned long long t;
    asm volatile("mov.u64 %0, %%clock64;" : "=l"(t)::"memory");
    if (k < 24)
      agDiagTT[cwg][k][i] = t;
    if (i == 4)
      agDiagTTk[cwg] = k + 1;
  }
}
template <class Cfg> struct Sm90Consumer {'''.replace('SEL', sel)),
        ('''  __device__ __forceinline__ int run(int it0, unsigned qPhase, bool &turnHeld) {
''', '''  __device__ __forceinline__ int run(int it0, unsigned qPhase, bool &turnHeld) {
    agTT(cwg, 0);
'''),
        ('''    quantizeQ(qPhase);
    if (nFirst < nEnd) {''', '''    quantizeQ(qPhase);
    agTT(cwg, 1);
    if (nFirst < nEnd) {'''),
        ('''      wgmmaWait<0>();
      fenceRegs(acc);
    }
    // Blocks before''', '''      wgmmaWait<0>();
      fenceRegs(acc);
    }
    agTT(cwg, 2);
    // Blocks before'''),
        ('''    // The epilogue: O, then the LSE.
''', '''    // The epilogue: O, then the LSE.
    agTT(cwg, 3);
'''),
        ('''    return n < nEnd ? it + 1 : it;
  }
};''', '''    agTT(cwg, 4);
    return n < nEnd ? it + 1 : it;
  }
};'''),
        ('''  int it = 0;
  unsigned qPhase = 0;
''', '''  int it = 0;
  unsigned qPhase = 0;
  if (SEL) // each launch stamps its own tiles (the last launch's lines are read)
    agDiagTTk[threadIdx.x / 128 - 1] = 0;
'''.replace('SEL', sel)),
        ('''  } else {
    runTile(blockIdx.x); // the grid has one CTA per tile
  }
''', '''  } else {
    runTile(blockIdx.x); // the grid has one CTA per tile
  }
  if (SEL) {
    const int cwg = threadIdx.x / 128 - 1;
    for (int k = 0; k < agDiagTTk[cwg] && k < 24; ++k)
      printf("TT %d %d %llu %llu %llu %llu %llu\\n", cwg, k, agDiagTT[cwg][k][0], agDiagTT[cwg][k][1],
             agDiagTT[cwg][k][2], agDiagTT[cwg][k][3], agDiagTT[cwg][k][4]);
  }
'''.replace('SEL', sel)),
    ]
    for old, new in edits:
        if old not in s:
            sys.exit('diag_timeline: the mainloop changed; no match for:\n' + old)
        s = s.replace(old, new, 1)
    open(p, 'w').write(s)


def tiletable(path):
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) == 8 and f[0] == 'TT':
            rows[(int(f[1]), int(f[2]))] = [int(v) for v in f[3:]]
    med = statistics.median
    for w in sorted({w for w, _ in rows}):
        ks = sorted(k for x, k in rows if x == w and k >= 1)
        ph = [[rows[(w, k)][i + 1] - rows[(w, k)][i] for k in ks] for i in range(4)]
        gap = [rows[(w, k)][0] - rows[(w, k - 1)][4] for k in ks]
        print('warpgroup %d (tiles 1..%d, medians): between tiles %d, Q quantization %d, first S %d, '
              'blocks %d, epilogue %d clocks' % ((w, ks[-1] if ks else 0, med(gap)) +
                                                 tuple(med(x) for x in ph)))


def cta(path):
    for line in open(path):
        f = line.split()
        if len(f) == 8 and f[0] == 'TLC':
            t = [int(v) for v in f[2:]]
            print('warpgroup %s: entry->run %d, Q quantization %d, first S %d, blocks %d, '
                  'epilogue %d clocks' % (f[1], t[1] - t[0], t[2] - t[1], t[3] - t[2],
                                          t[4] - t[3], t[5] - t[4]))


def table(path):
    rows = {}
    for line in open(path):
        f = line.split()
        if len(f) == 7 and f[0] == 'TL':
            rows[(int(f[1]), int(f[2]))] = [int(v) for v in f[3:]]
    per = []
    for it in range(8, 40):
        a, b = rows[(0, it)], rows[(1, it)]
        an, bn = rows[(0, it + 1)], rows[(1, it + 1)]
        da = [a[1] - a[0], a[2] - a[1], a[3] - a[2], an[0] - a[3]]
        db = [b[1] - b[0], b[2] - b[1], b[3] - b[2], bn[0] - b[3]]
        per.append((an[0] - a[0], da, db, b[0] - a[0]))
    med = statistics.median
    print('period (clocks per block)', med(p[0] for p in per))
    for w in (0, 1):
        print('warpgroup %d: max %d, exponentials %d, GEMM wait %d, promotion %d' %
              ((w,) + tuple(med(p[1 + w][k] for p in per) for k in range(4))))
    print('warpgroup 1 start - warpgroup 0 start', med(p[3] for p in per))


if __name__ == '__main__':
    verbs = {'apply': apply, 'table': table, 'cta': cta, 'tiles': tiles, 'tiletable': tiletable}
    if len(sys.argv) != 3 or sys.argv[1] not in verbs:
        sys.exit(__doc__)
    verbs[sys.argv[1]](sys.argv[2])
